using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>[http2] max_defense_strikes_per_address and defense_strike_window.</summary>
public class Http2StrikeConfigTests
{
    private static ConfigLoadResult Load(string http2) => ConfigLoader.LoadFromText($"""
        [http2]
        {http2}
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"
        h2c = true

        [cluster.app]
        endpoints = ["127.0.0.1:9001"]
        """, "test.toml");

    private static string Errors(ConfigLoadResult result) => string.Join("\n", result.Errors);

    [Fact]
    public void Load_NoStrikeKeys_TenStrikesInSixtySeconds()
    {
        var result = Load("");

        Assert.True(result.IsValid, Errors(result));
        Assert.Equal(10, result.Model!.Http2.MaxDefenseStrikesPerAddress);
        Assert.Equal(TimeSpan.FromSeconds(60), result.Model.Http2.DefenseStrikeWindow);
    }

    [Fact]
    public void Load_StrikeKeys_AreRead_ZeroTurnsItOff()
    {
        var result = Load("max_defense_strikes_per_address = 0\ndefense_strike_window = \"5s\"");

        Assert.True(result.IsValid, Errors(result));
        Assert.Equal(0, result.Model!.Http2.MaxDefenseStrikesPerAddress);
        Assert.Equal(TimeSpan.FromSeconds(5), result.Model.Http2.DefenseStrikeWindow);
    }

    [Theory]
    [InlineData("max_defense_strikes_per_address = -1", "2:35: 'max_defense_strikes_per_address' must be between 0 and 1000000, got -1")]
    [InlineData("defense_strike_window = \"0s\"", "2:25: 'defense_strike_window' must be greater than zero")]
    [InlineData("defense_strike_window = \"soon\"", "2:25: ")]
    public void Load_BadStrikeValue_IsAnErrorAtIt(string line, string expected)
    {
        var result = Load(line);

        Assert.False(result.IsValid);
        Assert.StartsWith($"test.toml:{expected}", Errors(result));
    }
}
