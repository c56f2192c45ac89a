using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Upstreams.Http2;

/// <summary>protocol and max_streams_per_connection of [cluster.NAME].</summary>
public sealed class UpstreamProtocolConfigTests
{
    // The cluster's keys start on line 11, column 1.
    private const string Head = """
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [[route]]
        name = "api"
        cluster = "c"

        [cluster.c]
        endpoints = ["127.0.0.1:9444"]

        """;

    private static ClusterModel Cluster(string keys)
    {
        var result = ConfigLoader.LoadFromText(Head + keys, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Model!.Clusters["c"];
    }

    private static string[] Errors(string keys)
    {
        var result = ConfigLoader.LoadFromText(Head + keys, "test.toml");
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    [Fact]
    public void Default_Http1With100StreamsPerConnection()
    {
        var cluster = Cluster("");
        Assert.Equal(UpstreamProtocol.Http1, cluster.Protocol);
        Assert.Equal(100, cluster.MaxStreamsPerConnection);
    }

    [Fact]
    public void H2c_PlainHttp2()
    {
        var cluster = Cluster("protocol = \"h2c\"\nmax_streams_per_connection = 16\n");
        Assert.Equal(UpstreamProtocol.H2c, cluster.Protocol);
        Assert.Equal(16, cluster.MaxStreamsPerConnection);
        Assert.Null(cluster.Tls);
    }

    [Fact]
    public void H2_WithTls_OffersOnlyH2ByAlpn()
    {
        var cluster = Cluster("protocol = \"h2\"\ntls = true\n");
        Assert.Equal(UpstreamProtocol.H2, cluster.Protocol);
        Assert.True(cluster.Tls!.Http2);
        // Another identity than the same TLS settings for HTTP/1.1: a reload that changes the protocol does not reuse connections.
        Assert.NotEqual(Cluster("tls = true\n").Tls!.Identity, cluster.Tls.Identity);
    }

    [Fact]
    public void H2_WithoutTls_RefusedAtItsLine()
    {
        var errors = Errors("protocol = \"h2\"\n");
        Assert.Contains(errors, e => e.Contains("test.toml:11:") && e.Contains("needs tls = true") && e.Contains("h2c"));
    }

    [Fact]
    public void H2c_WithTls_Refused()
    {
        Assert.Contains(Errors("protocol = \"h2c\"\ntls = true\n"), e => e.Contains("test.toml:11:") && e.Contains("use \"h2\""));
    }

    [Fact]
    public void UnknownProtocol_RefusedWithTheChoices()
    {
        Assert.Contains(Errors("protocol = \"http2\"\n"), e => e.Contains("test.toml:11:") && e.Contains("h2c"));
    }

    [Theory]
    [InlineData("max_streams_per_connection = 0\nprotocol = \"h2c\"\n")]
    [InlineData("max_streams_per_connection = 8\n")]
    public void MaxStreams_OutOfRangeOrOnHttp1_Refused(string keys)
    {
        Assert.Contains(Errors(keys), e => e.Contains("test.toml:11:") && e.Contains("max_streams_per_connection"));
    }
}
