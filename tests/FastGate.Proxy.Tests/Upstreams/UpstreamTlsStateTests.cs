using FastGate.Proxy.Config;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

/// <summary>Which TLS client a cluster's connections are opened and reused under, across reloads.</summary>
public class UpstreamTlsStateTests
{
    private static UpstreamTlsModel Model(string identity, string? sni = null) => new() { Identity = identity, Sni = sni };

    [Fact]
    public void APlainCluster_HasNoClient()
    {
        Assert.Null(new UpstreamTlsState().For(null));
    }

    [Fact]
    public void TheSameSettingsFromAReload_KeepTheClient_SoPooledConnectionsStay()
    {
        var state = new UpstreamTlsState();
        var first = state.For(Model("a|system"));
        Assert.NotNull(first);
        Assert.Same(first, state.For(Model("a|system")));
    }

    [Fact]
    public void ChangedSettings_GiveANewClient_SoPooledConnectionsGo()
    {
        var state = new UpstreamTlsState();
        var first = state.For(Model("a|system", sni: "a.internal"));
        var second = state.For(Model("b|system", sni: "b.internal"));
        Assert.NotSame(first, second);
        Assert.Equal("b.internal", second!.Model.Sni);
    }

    [Fact]
    public void TheTargetHost_IsTheSniName_ElseTheEndpointsHostName_ElseItsIp()
    {
        var state = new UpstreamTlsState();
        var named = new EndpointModel { Address = "api.internal:443", EndPoint = new System.Net.DnsEndPoint("api.internal", 443), HostHeader = "api.internal:443" };
        var ip = new EndpointModel { Address = "10.0.0.7:443", EndPoint = System.Net.IPEndPoint.Parse("10.0.0.7:443"), HostHeader = "10.0.0.7:443" };

        Assert.Equal("front.internal", state.For(Model("x", sni: "front.internal"))!.TargetHost(named));
        Assert.Equal("api.internal", state.For(Model("y"))!.TargetHost(named));
        Assert.Equal("10.0.0.7", state.For(Model("y"))!.TargetHost(ip));
    }

    [Fact]
    public void Handshakes_AreCountedByResult()
    {
        var state = new UpstreamTlsState();
        state.Succeeded();
        state.Succeeded();
        state.Failed();
        Assert.Equal(2, state.Handshakes);
        Assert.Equal(1, state.HandshakeFailures);
    }
}
