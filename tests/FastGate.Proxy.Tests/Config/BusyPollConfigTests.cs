using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class BusyPollConfigTests
{
    private static ConfigLoadResult Load(string top) => ConfigLoader.LoadFromText($"""
        {top}
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [cluster.app]
        endpoints = ["127.0.0.1:9001"]
        """, "test.toml");

    private static string Errors(ConfigLoadResult result) => string.Join("\n", result.Errors);

    [Fact]
    public void Load_NoBusyPoll_IsOff()
    {
        var result = Load("workers = 1");

        Assert.True(result.IsValid, Errors(result));
        Assert.Equal(TimeSpan.Zero, result.Model!.BusyPoll);
    }

    [Theory]
    [InlineData("\"50us\"", 50)]
    [InlineData("\"1us\"", 1)]
    [InlineData("\"1ms\"", 1000)]
    [InlineData("\"1000us\"", 1000)]
    [InlineData("\"0\"", 0)]
    [InlineData("\"0us\"", 0)]
    public void Load_BusyPoll_IsReadInMicroseconds(string value, int microseconds)
    {
        var result = Load($"busy_poll = {value}");

        Assert.True(result.IsValid, Errors(result));
        Assert.Equal(TimeSpan.FromMicroseconds(microseconds), result.Model!.BusyPoll);
    }

    [Theory]
    [InlineData("\"50\"", "invalid duration '50' for 'busy_poll'")]
    [InlineData("\"50ns\"", "invalid duration '50ns' for 'busy_poll'")]
    [InlineData("\"1.5ms\"", "invalid duration '1.5ms' for 'busy_poll'")]
    [InlineData("\"-50us\"", "invalid duration '-50us' for 'busy_poll'")]
    [InlineData("\"us\"", "invalid duration 'us' for 'busy_poll'")]
    [InlineData("\"50 us\"", "invalid duration '50 us' for 'busy_poll'")]
    [InlineData("\"99999999999us\"", "invalid duration '99999999999us' for 'busy_poll'")]
    [InlineData("\"2ms\"", "'busy_poll' must be at most 1ms, got '2ms'")]
    [InlineData("\"1001us\"", "'busy_poll' must be at most 1ms, got '1001us'")]
    [InlineData("50", "'busy_poll' must be a duration string like \"50us\"")]
    [InlineData("true", "'busy_poll' must be a duration string like \"50us\"")]
    public void Load_BadBusyPoll_IsRejectedWithItsPosition(string value, string message)
    {
        var result = Load($"busy_poll = {value}");

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Contains(message, error.ToString());
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Load_BusyPollInsideDefaults_IsAnUnknownKey()
    {
        var result = Load("[defaults]\nbusy_poll = \"50us\"");

        Assert.False(result.IsValid);
        Assert.Contains("busy_poll", Errors(result));
    }
}
