using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class DurationParserTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("10s", 10_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h5m", 3_900_000)]
    [InlineData("2s500ms", 2_500)]
    [InlineData("0s", 0)]
    public void TryParse_Valid_ReturnsMilliseconds(string text, long expectedMs)
    {
        Assert.True(DurationParser.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), value);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("10", "missing unit")]
    [InlineData("-5s", "negative")]
    [InlineData("1.5s", "fractions")]
    [InlineData("10x", "unknown unit 'x'")]
    [InlineData("10sec", "unknown unit 'sec'")]
    [InlineData("5us", "unknown unit 'us'")]
    [InlineData("30s1m", "largest to smallest")]
    [InlineData("1s1s", "largest to smallest")]
    [InlineData("s", "expected a number")]
    [InlineData("10 s", "unexpected ' '")]
    [InlineData("99999999999999999999h", "too large")]
    public void TryParse_Invalid_ReturnsError(string text, string expected)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }
}
