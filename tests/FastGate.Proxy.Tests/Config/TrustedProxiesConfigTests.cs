using System.Net;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class TrustedProxiesConfigTests
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
    public void Load_NoTrustedProxies_TrustsNobody()
    {
        var result = Load("");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Model!.Listeners[0].Limits.TrustedProxies);
    }

    [Fact]
    public void Load_TrustedProxies_ParsesBlocksAndSingleAddresses()
    {
        var result = Load("""trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "2001:db8::/32", "192.0.2.9"]""");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var networks = result.Model!.Listeners[0].Limits.TrustedProxies;
        Assert.Equal(
            ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "2001:db8::/32", "192.0.2.9/32"],
            networks.Select(n => n.ToString()));
        Assert.Contains(networks, n => n.Contains(IPAddress.Parse("10.200.3.4")));
        Assert.DoesNotContain(networks, n => n.Contains(IPAddress.Parse("11.0.0.1")));
    }

    [Fact]
    public void Load_ListenerTrustedProxies_OverrideTheDefaults()
    {
        var result = Load("""trusted_proxies = ["10.0.0.0/8"]""", """trusted_proxies = []""");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Model!.Listeners[0].Limits.TrustedProxies);
        Assert.Single(result.Model.Defaults.TrustedProxies);
    }

    [Theory]
    [InlineData("10.0.0.0/33", "test.toml:2:20: invalid prefix length in '10.0.0.0/33': use 0 to 32 in 'trusted_proxies'")]
    [InlineData("::/129", "test.toml:2:20: invalid prefix length in '::/129': use 0 to 128 in 'trusted_proxies'")]
    [InlineData("10.0.0.0/", "test.toml:2:20: invalid prefix length in '10.0.0.0/': use 0 to 32 in 'trusted_proxies'")]
    [InlineData("10.0.0.0/-1", "test.toml:2:20: invalid prefix length in '10.0.0.0/-1': use 0 to 32 in 'trusted_proxies'")]
    [InlineData("10.0/8", "test.toml:2:20: '10.0/8' is not an IP address or CIDR block (e.g. \"10.0.0.0/8\", \"::1/128\") in 'trusted_proxies'")]
    [InlineData("proxy.internal", "test.toml:2:20: 'proxy.internal' is not an IP address or CIDR block (e.g. \"10.0.0.0/8\", \"::1/128\") in 'trusted_proxies'")]
    [InlineData("10.0.0.1/8", "test.toml:2:20: '10.0.0.1/8' has bits set past the /8 prefix; write the network address (e.g. 10.0.0.0/8) or a /32 for one host in 'trusted_proxies'")]
    public void Load_BadCidr_ReportsTheItemPosition(string cidr, string expected)
    {
        var result = Load($"""trusted_proxies = ["127.0.0.1/32", "{cidr}"]""".Replace("\"127.0.0.1/32\", ", ""));

        Assert.Equal([expected], result.Errors.Select(e => e.ToString()));
    }
}
