using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class SlowClientConfigTests
{
    private static ConfigLoadResult Load(string defaults, string listener = "") => ConfigLoader.LoadFromText($"""
        [defaults]
        {defaults}
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"
        {listener}
        """, "test.toml");

    [Fact]
    public void Load_NothingSet_KestrelLikeRatesOverFiveSecondsAndNoCap()
    {
        var result = Load("");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var limits = result.Model!.Listeners[0].Limits;
        Assert.Equal(240, limits.MinRequestBodyRate);
        Assert.Equal(240, limits.MinResponseRate);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.MinRateWindow);
        Assert.Equal(0, limits.MaxConnectionsPerClient);
    }

    [Fact]
    public void Load_RatesAsSizesWithOrWithoutPerSecond_Parsed()
    {
        var result = Load("""
            min_request_body_rate = "1KiB/s"
            min_response_rate = "2KB"
            min_rate_window = "10s"
            max_connections_per_client = 20
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var limits = result.Model!.Defaults;
        Assert.Equal(1024, limits.MinRequestBodyRate);
        Assert.Equal(2000, limits.MinResponseRate);
        Assert.Equal(TimeSpan.FromSeconds(10), limits.MinRateWindow);
        Assert.Equal(20, limits.MaxConnectionsPerClient);
        Assert.Equal(limits, result.Model.Listeners[0].Limits);
    }

    [Fact]
    public void Load_ZeroRates_TurnTheMinimumsOff()
    {
        var result = Load("""
            min_request_body_rate = "0"
            min_response_rate = 0
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(0, result.Model!.Defaults.MinRequestBodyRate);
        Assert.Equal(0, result.Model.Defaults.MinResponseRate);
    }

    [Fact]
    public void Load_ListenerValues_OverrideTheDefaults()
    {
        var result = Load("max_connections_per_client = 5", """
            max_connections_per_client = 0
            min_request_body_rate = "100B/s"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(5, result.Model!.Defaults.MaxConnectionsPerClient);
        Assert.Equal(0, result.Model.Listeners[0].Limits.MaxConnectionsPerClient);
        Assert.Equal(100, result.Model.Listeners[0].Limits.MinRequestBodyRate);
        Assert.Equal(240, result.Model.Listeners[0].Limits.MinResponseRate);
    }

    [Theory]
    [InlineData("min_request_body_rate = \"fast\"", "test.toml:2:25: invalid size 'fast': expected a number for 'min_request_body_rate' (a size per second like \"240B\" or \"1KiB/s\"; \"0\" for none)")]
    [InlineData("min_response_rate = \"240b/s\"", "test.toml:2:21: invalid size '240b': unknown unit 'b' (use B, KiB, MiB, GiB, KB, MB or GB) for 'min_response_rate' (a size per second like \"240B\" or \"1KiB/s\"; \"0\" for none)")]
    [InlineData("min_response_rate = -5", "test.toml:2:21: 'min_response_rate' must be between 0 and 1073741824 bytes per second, got -5")]
    [InlineData("min_request_body_rate = true", "test.toml:2:25: expected a size per second like \"240B\" for 'min_request_body_rate', got boolean")]
    [InlineData("min_rate_window = \"500ms\"", "test.toml:2:19: 'min_rate_window' must be at least 1s, got 500ms")]
    [InlineData("min_rate_window = \"0s\"", "test.toml:2:19: 'min_rate_window' must be greater than zero")]
    [InlineData("max_connections_per_client = -1", "test.toml:2:30: 'max_connections_per_client' must be between 0 and 1000000, got -1")]
    [InlineData("max_connections_per_client = \"10\"", "test.toml:2:30: expected an integer for 'max_connections_per_client', got string")]
    public void Load_BadValue_ReportedAtItsPosition(string line, string expected)
    {
        var result = Load(line);

        Assert.Equal([expected], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Load_BadValueOnAListener_ReportedAtItsPosition()
    {
        var result = Load("", "min_rate_window = \"0.5s\"");

        Assert.Single(result.Errors);
        Assert.StartsWith("test.toml:6:19: ", result.Errors[0].ToString());
    }
}
