using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>The route keys of long-lived responses: streaming, stream_idle_timeout, max_stream_duration, first_byte_timeout.</summary>
public class StreamRouteConfigTests
{
    private static string Config(string routeKeys) => $$"""
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [[route]]
        name = "api"
        cluster = "c"
        {{routeKeys}}

        [cluster.c]
        endpoints = ["127.0.0.1:9001"]
        """;

    private static RouteModel Route(string routeKeys)
    {
        var result = ConfigLoader.LoadFromText(Config(routeKeys), "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Model!.Routes.Single();
    }

    private static string[] Errors(string routeKeys)
    {
        var result = ConfigLoader.LoadFromText(Config(routeKeys), "test.toml");
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    [Fact]
    public void NoKeys_GiveTheDefaults()
    {
        var route = Route("");
        Assert.False(route.Streaming);
        Assert.Null(route.StreamIdleTimeout);
        Assert.Null(route.MaxStreamDuration);
        Assert.Null(route.FirstByteTimeout);
    }

    [Fact]
    public void EveryKey_IsRead()
    {
        var route = Route("""
            streaming = true
            stream_idle_timeout = "90s"
            max_stream_duration = "1h"
            first_byte_timeout = "2500ms"
            """);
        Assert.True(route.Streaming);
        Assert.Equal(TimeSpan.FromSeconds(90), route.StreamIdleTimeout);
        Assert.Equal(TimeSpan.FromHours(1), route.MaxStreamDuration);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), route.FirstByteTimeout);
    }

    [Theory]
    [InlineData("streaming = \"yes\"", "test.toml:8:13", "'streaming'")]
    [InlineData("stream_idle_timeout = \"0s\"", "test.toml:8:23", "'stream_idle_timeout' must be greater than zero")]
    [InlineData("max_stream_duration = \"soon\"", "test.toml:8:23", "'max_stream_duration'")]
    [InlineData("first_byte_timeout = 5", "test.toml:8:22", "'first_byte_timeout'")]
    public void BadValue_ErrorAtItsPosition(string line, string position, string message)
    {
        var error = Assert.Single(Errors(line));
        Assert.StartsWith(position, error);
        Assert.Contains(message, error);
    }

    [Fact]
    public void MisspelledKey_IsAnError()
    {
        var error = Assert.Single(Errors("stream_idle_timout = \"5s\""));
        Assert.Contains("stream_idle_timout", error);
    }
}
