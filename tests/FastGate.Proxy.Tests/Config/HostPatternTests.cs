using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class HostPatternTests
{
    [Theory]
    [InlineData("API.Example.com", "api.example.com")]
    [InlineData("*.Example.org", "*.example.org")]
    [InlineData("localhost", "localhost")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    public void TryNormalize_Valid_ReturnsLowerCase(string text, string expected)
    {
        Assert.True(HostPattern.TryNormalize(text, out var pattern, out var error), error);
        Assert.Equal(expected, pattern);
    }

    [Theory]
    [InlineData("api.*.example.com")]
    [InlineData("*example.com")]
    [InlineData("*")]
    [InlineData("example.com:8080")]
    [InlineData("exa mple.com")]
    [InlineData("")]
    public void TryNormalize_Invalid_ReturnsError(string text) =>
        Assert.False(HostPattern.TryNormalize(text, out _, out _));
}
