using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class WebSocketConfigTests
{
    // The route's table starts on line 11; its keys follow from line 12.
    private static ConfigLoadResult Load(string websocket) => ConfigLoader.LoadFromText($"""
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [cluster.app]
        endpoints = ["127.0.0.1:9001"]

        [[route]]
        name = "chat"
        cluster = "app"
        [route.websocket]
        {websocket}
        """, "test.toml");

    private static string Errors(ConfigLoadResult result) => string.Join("\n", result.Errors);

    [Fact]
    public void Load_NoTable_TakesUpgradesWithTheDefaults()
    {
        var result = ConfigLoader.LoadFromText("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.app]
            endpoints = ["127.0.0.1:9001"]
            [[route]]
            name = "plain"
            cluster = "app"
            """, "test.toml");

        Assert.True(result.IsValid, Errors(result));
        var settings = result.Model!.Routes[0].WebSocket;
        Assert.True(settings.Enabled);
        Assert.Equal(16L * 1024 * 1024, settings.MaxFrameBytes);
        Assert.Equal(16L * 1024 * 1024, settings.MaxMessageBytes);
        Assert.True(settings.ValidateUtf8);
    }

    [Fact]
    public void Load_EveryKey_IsRead()
    {
        var result = Load("""
            enabled = false
            max_frame_bytes = "64KiB"
            max_message_bytes = 1048576
            validate_utf8 = false
            """);

        Assert.True(result.IsValid, Errors(result));
        var settings = result.Model!.Routes[0].WebSocket;
        Assert.False(settings.Enabled);
        Assert.Equal(64 * 1024, settings.MaxFrameBytes);
        Assert.Equal(1024 * 1024, settings.MaxMessageBytes);
        Assert.False(settings.ValidateUtf8);
    }

    [Theory]
    [InlineData("enabled = \"yes\"", "test.toml:12:11: ")]
    [InlineData("max_frame_bytes = \"lots\"", "test.toml:12:19: ")]
    [InlineData("max_frame_bytes = 100", "test.toml:12:19: 'max_frame_bytes' must be between 125 and")]
    [InlineData("max_message_bytes = -1", "test.toml:12:21: 'max_message_bytes' must be between 125 and")]
    [InlineData("validate_utf8 = 1", "test.toml:12:17: ")]
    [InlineData("max_frame_byte = \"1MiB\"", "test.toml:12:1: unknown key 'max_frame_byte' in [route.websocket] of route 'chat'; did you mean 'max_frame_bytes'?")]
    [InlineData("max_frame_bytes = \"2MiB\"\nmax_message_bytes = \"1MiB\"", "test.toml:12:19: route 'chat': 'max_frame_bytes' (2097152) is larger than 'max_message_bytes' (1048576)")]
    public void Load_BadValue_IsAnErrorAtItsPosition(string websocket, string expected)
    {
        var result = Load(websocket);

        Assert.False(result.IsValid);
        Assert.StartsWith(expected, Errors(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WebSocketNotATable_IsAnError()
    {
        var result = ConfigLoader.LoadFromText("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.app]
            endpoints = ["127.0.0.1:9001"]
            [[route]]
            name = "chat"
            cluster = "app"
            websocket = true
            """, "test.toml");

        Assert.False(result.IsValid);
        Assert.StartsWith("test.toml:9:", Errors(result), StringComparison.Ordinal);
    }
}
