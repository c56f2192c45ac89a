using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class SizeParserTests
{
    [Theory]
    [InlineData("512B", 512)]
    [InlineData("512", 512)]
    [InlineData("64KiB", 64 * 1024)]
    [InlineData("16MiB", 16L * 1024 * 1024)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("10KB", 10_000)]
    [InlineData("3MB", 3_000_000)]
    [InlineData("2GB", 2_000_000_000)]
    [InlineData("0", 0)]
    public void TryParse_Valid_ReturnsBytes(string text, long expected)
    {
        Assert.True(SizeParser.TryParse(text, out var bytes, out var error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("-1KiB", "negative")]
    [InlineData("1.5MiB", "fractions")]
    [InlineData("64kib", "unknown unit 'kib'")]
    [InlineData("64 KiB", "unknown unit ' KiB'")]
    [InlineData("10TB", "unknown unit 'TB'")]
    [InlineData("KiB", "expected a number")]
    [InlineData("99999999999GiB", "too large")]
    public void TryParse_Invalid_ReturnsError(string text, string expected)
    {
        Assert.False(SizeParser.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }
}
