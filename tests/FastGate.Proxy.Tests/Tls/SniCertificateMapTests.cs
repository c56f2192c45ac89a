using FastGate.Proxy.Tls;

namespace FastGate.Proxy.Tests.Tls;

public sealed class SniCertificateMapTests
{
    private static SniCertificateMap<string> Map()
    {
        var map = new SniCertificateMap<string>("default");
        map.Add("api.example.com", "api");
        map.Add("*.example.com", "wildcard");
        map.Add("example.com", "apex");
        return map;
    }

    [Theory]
    [InlineData("api.example.com", "api")]
    [InlineData("API.Example.COM", "api")]
    [InlineData("api.example.com.", "api")]
    [InlineData("www.example.com", "wildcard")]
    [InlineData("example.com", "apex")]
    [InlineData("a.b.example.com", "default")]
    [InlineData("example.org", "default")]
    [InlineData("localhost", "default")]
    [InlineData("", "default")]
    [InlineData(null, "default")]
    public void Select_PrefersExactThenOneLabelWildcardThenDefault(string? serverName, string expected)
    {
        Assert.Equal(expected, Map().Select(serverName));
    }

    [Fact]
    public void Add_SameNameTwice_FirstWins()
    {
        var map = new SniCertificateMap<string>("default");
        map.Add("a.test", "first");
        map.Add("a.test", "second");

        Assert.Equal("first", map.Select("a.test"));
    }
}
