using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>tcp and tls-passthrough listeners as `check` sees them: served, and their SNI routes validated with positions.</summary>
public class L4ListenerConfigTests
{
    private const string Clusters = """

        [cluster.a]
        endpoints = ["127.0.0.1:9001"]
        [cluster.b]
        endpoints = ["127.0.0.1:9002"]
        [cluster.fallback]
        endpoints = ["127.0.0.1:9003"]
        """;

    private static ConfigLoadResult Load(string listener) => ConfigLoader.LoadFromText(listener + Clusters, "test.toml");

    private static string[] Errors(string listener)
    {
        var result = Load(listener);
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    [Fact]
    public void Load_TcpListener_IsServedWithItsCluster()
    {
        var result = Load("""
            [[listener]]
            name = "db"
            listen = "127.0.0.1:15432"
            protocol = "tcp"
            cluster = "a"
            idle_timeout = "5m"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var listener = Assert.Single(result.Model!.Listeners);
        Assert.Equal(ListenerProtocol.Tcp, listener.Protocol);
        Assert.Equal("a", listener.Cluster);
        Assert.Equal(TimeSpan.FromMinutes(5), listener.Limits.IdleTimeout);
        Assert.Empty(listener.SniRoutes);
    }

    [Fact]
    public void Load_PassthroughWithSniRoutes_KeepsNamesLowerCasedInFileOrder()
    {
        var result = Load("""
            [[listener]]
            name = "edge"
            listen = "127.0.0.1:8443"
            protocol = "tls-passthrough"
            cluster = "fallback"
            header_timeout = "3s"
            [[listener.sni_route]]
            names = ["A.Example.com", "*.b.example.com"]
            cluster = "a"
            [[listener.sni_route]]
            names = "c.example.com"
            cluster = "b"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var listener = Assert.Single(result.Model!.Listeners);
        Assert.Equal(ListenerProtocol.TlsPassthrough, listener.Protocol);
        Assert.Equal("fallback", listener.Cluster);
        Assert.Equal(TimeSpan.FromSeconds(3), listener.Limits.HeaderTimeout);
        Assert.Collection(listener.SniRoutes,
            route =>
            {
                Assert.Equal(["a.example.com", "*.b.example.com"], route.Names);
                Assert.Equal("a", route.Cluster);
            },
            route =>
            {
                Assert.Equal(["c.example.com"], route.Names);
                Assert.Equal("b", route.Cluster);
            });
    }

    [Fact]
    public void Load_PassthroughWithoutSniRoutes_SendsEverythingToItsCluster()
    {
        var result = Load("""
            [[listener]]
            name = "edge"
            listen = "127.0.0.1:8443"
            protocol = "tls-passthrough"
            cluster = "a"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Model!.Listeners[0].SniRoutes);
    }

    [Fact]
    public void Load_SniRouteUnknownCluster_ErrorAtTheClusterValue()
    {
        Assert.Equal(
            ["test.toml:7:11: [[listener.sni_route]] of listener 'edge' names cluster 'nope' which is not defined"],
            Errors("""
                [[listener]]
                name = "edge"
                listen = "127.0.0.1:8443"
                protocol = "tls-passthrough"
                cluster = "a"
                [[listener.sni_route]]
                cluster = "nope"
                names = ["a.example.com"]
                """));
    }

    [Fact]
    public void Load_SniRouteOnTcpListener_ErrorAtTheTableHeader()
    {
        Assert.Equal(
            ["test.toml:6:1: [[listener.sni_route]] is only for tls-passthrough listeners; listener 'db' is tcp"],
            Errors("""
                [[listener]]
                name = "db"
                listen = "127.0.0.1:15432"
                protocol = "tcp"
                cluster = "a"
                [[listener.sni_route]]
                names = ["a.example.com"]
                cluster = "b"
                """));
    }

    [Fact]
    public void Load_SniRouteOnHttpListener_Error()
    {
        var errors = Errors("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[listener.sni_route]]
            names = ["a.example.com"]
            cluster = "b"
            """);

        Assert.Equal(["test.toml:4:1: [[listener.sni_route]] is only for tls-passthrough listeners; listener 'web' is http"], errors);
    }

    [Fact]
    public void Load_SameNameInTwoSniRoutes_ErrorAtTheSecond()
    {
        Assert.Equal(
            ["test.toml:11:10: 'A.example.com' is already routed by an earlier [[listener.sni_route]] of listener 'edge'"],
            Errors("""
                [[listener]]
                name = "edge"
                listen = "127.0.0.1:8443"
                protocol = "tls-passthrough"
                cluster = "a"
                [[listener.sni_route]]
                names = ["a.example.com"]
                cluster = "a"
                [[listener.sni_route]]
                cluster = "b"
                names = ["A.example.com"]
                """));
    }

    [Theory]
    [InlineData("\"a.*.example.com\"", "test.toml:7:9: invalid host 'a.*.example.com': a wildcard is allowed only as a leading '*.'")]
    [InlineData("\"a.example.com:443\"", "test.toml:7:9: invalid host 'a.example.com:443': use letters, digits, '-' and '.' (no port)")]
    [InlineData("[]", "test.toml:7:9: 'names' must list at least one host name")]
    public void Load_BadSniName_ErrorAtTheName(string names, string expected)
    {
        Assert.Equal([expected], Errors($"""
            [[listener]]
            name = "edge"
            listen = "127.0.0.1:8443"
            protocol = "tls-passthrough"
            cluster = "a"
            [[listener.sni_route]]
            names = {names}
            cluster = "b"
            """));
    }

    [Fact]
    public void Load_SniRouteMissingKeysAndUnknownKey_EachReported()
    {
        var errors = Errors("""
            [[listener]]
            name = "edge"
            listen = "127.0.0.1:8443"
            protocol = "tls-passthrough"
            cluster = "a"
            [[listener.sni_route]]
            name = ["a.example.com"]
            """);

        Assert.Equal(3, errors.Length);
        Assert.Contains(errors, e => e.StartsWith("test.toml:7:1: unknown key 'name' in [[listener.sni_route]]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("test.toml:6:1: ", StringComparison.Ordinal) && e.Contains("'names'") && e.Contains("[[listener.sni_route]]"));
        Assert.Contains(errors, e => e.StartsWith("test.toml:6:1: ", StringComparison.Ordinal) && e.Contains("'cluster'") && e.Contains("[[listener.sni_route]]"));
    }

    [Fact]
    public void Load_PassthroughWithoutCluster_RequiresTheDefault()
    {
        Assert.Equal(
            ["test.toml:1:1: listener 'edge' with protocol 'tls-passthrough' requires 'cluster'"],
            Errors("""
                [[listener]]
                name = "edge"
                listen = "127.0.0.1:8443"
                protocol = "tls-passthrough"
                [[listener.sni_route]]
                names = ["a.example.com"]
                cluster = "a"
                """));
    }
}
