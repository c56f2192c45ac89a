using FastGate.Core.ProxyProtocol;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class ProxyProtocolConfigTests
{
    private static ConfigLoadResult Load(string listener, string cluster = "", string route = "") => ConfigLoader.LoadFromText($"""
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"
        {listener}

        [cluster.app]
        endpoints = ["127.0.0.1:9001"]
        {cluster}
        {route}
        """, "test.toml");

    private static string Errors(ConfigLoadResult result) => string.Join("\n", result.Errors);

    [Fact]
    public void Load_NoKeys_TakesNoHeader()
    {
        var result = Load("");

        Assert.True(result.IsValid, Errors(result));
        Assert.False(result.Model!.Listeners[0].ProxyProtocol);
        Assert.Empty(result.Model.Listeners[0].ProxyProtocolFrom);
        Assert.Null(result.Model.Clusters["app"].ProxyProtocol);
    }

    [Fact]
    public void Load_ProxyProtocolWithSources_ReadsThem()
    {
        var result = Load("""
            proxy_protocol = true
            proxy_protocol_from = ["127.0.0.1/32", "10.0.0.0/8", "::1"]
            """);

        Assert.True(result.IsValid, Errors(result));
        var listener = result.Model!.Listeners[0];
        Assert.True(listener.ProxyProtocol);
        Assert.Equal(["127.0.0.1/32", "10.0.0.0/8", "::1/128"], listener.ProxyProtocolFrom.Select(n => n.ToString()));
    }

    [Fact]
    public void Load_ProxyProtocolWithoutSources_IsAnErrorAtTheKey()
    {
        var result = Load("proxy_protocol = true");

        Assert.Equal(
            "test.toml:4:1: listener 'web': 'proxy_protocol = true' requires 'proxy_protocol_from', the addresses of the proxies or load balancers that send the header (e.g. [\"10.0.0.0/8\"])",
            Errors(result));
    }

    [Fact]
    public void Load_EmptySources_IsAnError()
    {
        var result = Load("""
            proxy_protocol = true
            proxy_protocol_from = []
            """);

        Assert.Equal("test.toml:5:23: listener 'web': 'proxy_protocol_from' is empty, so every connection would be refused; list the senders of the header", Errors(result));
    }

    [Fact]
    public void Load_SourcesWithoutProxyProtocol_IsAnError()
    {
        var result = Load("""proxy_protocol_from = ["10.0.0.0/8"]""");

        Assert.Equal("test.toml:4:1: listener 'web': 'proxy_protocol_from' has no effect without 'proxy_protocol = true'", Errors(result));
    }

    [Theory]
    [InlineData("proxy_protocol = \"yes\"", "test.toml:4:18: expected a boolean for 'proxy_protocol', got string")]
    [InlineData("proxy_protocol = true\nproxy_protocol_from = \"10.0.0.0/8\"", "test.toml:5:23: expected an array of addresses or CIDR blocks for 'proxy_protocol_from', got string")]
    [InlineData("proxy_protocol = true\nproxy_protocol_from = [\"10.0.0.1/8\"]", "test.toml:5:24: '10.0.0.1/8' has bits set past the /8 prefix; write the network address (e.g. 10.0.0.0/8) or a /32 for one host in 'proxy_protocol_from'")]
    [InlineData("proxy_protocol = true\nproxy_protocol_from = [\"lb.internal\"]", "test.toml:5:24: 'lb.internal' is not an IP address or CIDR block (e.g. \"10.0.0.0/8\", \"::1/128\") in 'proxy_protocol_from'")]
    public void Load_BadListenerValue_ReportsItsPosition(string listener, string expected)
    {
        Assert.Equal(expected, Errors(Load(listener)));
    }

    [Theory]
    [InlineData("v1", ProxyVersion.V1)]
    [InlineData("v2", ProxyVersion.V2)]
    public void Load_ClusterProxyProtocol_ReadsTheVersion(string value, ProxyVersion expected)
    {
        var result = Load("", $"proxy_protocol = \"{value}\"");

        Assert.True(result.IsValid, Errors(result));
        Assert.Equal(expected, result.Model!.Clusters["app"].ProxyProtocol);
    }

    [Fact]
    public void Load_ClusterProxyProtocolUnknownVersion_IsAnError()
    {
        var result = Load("", "proxy_protocol = \"v3\"");

        Assert.False(result.IsValid);
        Assert.StartsWith("test.toml:8:18: ", Errors(result));
        Assert.Contains("'v3'", Errors(result));
        Assert.Contains("v1", Errors(result));
    }

    [Fact]
    public void Load_ClusterProxyProtocolOnAnHttpRoute_IsAnErrorAtTheClusterKey()
    {
        var result = Load("", "proxy_protocol = \"v2\"", """

            [[route]]
            name = "api"
            path_prefix = "/"
            cluster = "app"
            """);

        Assert.Equal(
            "test.toml:8:1: cluster 'app': 'proxy_protocol' is for tcp and tls-passthrough listeners, but route 'api' sends HTTP to it over pooled connections that many clients share, so one header cannot name each client; X-Forwarded-For carries the client address on http routes. Use a separate cluster for the route",
            Errors(result));
    }

    [Fact]
    public void Load_ClusterProxyProtocolOnATcpListener_IsAccepted()
    {
        var result = ConfigLoader.LoadFromText("""
            [[listener]]
            name = "db"
            listen = "127.0.0.1:5432"
            protocol = "tcp"
            cluster = "pg"
            proxy_protocol = true
            proxy_protocol_from = ["10.0.0.0/8"]

            [cluster.pg]
            endpoints = ["127.0.0.1:15432"]
            proxy_protocol = "v1"
            """, "test.toml");

        Assert.True(result.IsValid, Errors(result));
        Assert.Equal(ProxyVersion.V1, result.Model!.Clusters["pg"].ProxyProtocol);
        Assert.True(result.Model.Listeners[0].ProxyProtocol);
    }
}
