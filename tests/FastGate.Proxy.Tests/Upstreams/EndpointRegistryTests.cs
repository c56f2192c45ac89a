using System.Net;
using System.Net.Sockets;
using FastGate.Proxy.Tests.Forwarding;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class EndpointRegistryTests
{
    private const string Shared = "127.0.0.1:7001";

    private static string Config(int port, int weightA, int maxIdleA, string idleTimeoutA, string extraListener = "") => $$"""
        [log]
        access = "off"

        [[listener]]
        name = "web"
        listen = "127.0.0.1:{{port}}"
        {{extraListener}}

        [[route]]
        name = "a"
        path_prefix = "/"
        cluster = "a"

        [[route]]
        name = "b"
        path_prefix = "/b/"
        cluster = "b"

        [cluster.a]
        max_idle_connections = {{maxIdleA}}
        idle_timeout = "{{idleTimeoutA}}"

        [[cluster.a.endpoint]]
        address = "{{Shared}}"
        weight = {{weightA}}

        [cluster.b]
        max_idle_connections = 9
        idle_timeout = "90s"

        [[cluster.b.endpoint]]
        address = "{{Shared}}"
        weight = 1
        """;

    private static EndpointState Endpoint(TestGateway gateway, string cluster) => gateway.Gateway.Current.Clusters[cluster].Endpoints[0];

    [Fact]
    public void Reload_ListenerCannotBind_LeavesEndpointSettingsUnchanged()
    {
        using var busy = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        busy.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        busy.Listen();
        var port = FreePort.Next();
        using var gateway = new TestGateway(Config(port, weightA: 3, maxIdleA: 4, idleTimeoutA: "30s"));
        var before = Endpoint(gateway, "a");

        var result = gateway.Reload(Config(port, weightA: 7, maxIdleA: 8, idleTimeoutA: "45s", $"""

            [[listener]]
            name = "extra"
            listen = "{busy.LocalEndPoint}"
            """));

        Assert.False(result.Success);
        Assert.Same(before, Endpoint(gateway, "a"));
        Assert.Equal(3, before.Model.Weight);
        Assert.Equal(4, before.MaxIdleConnections);
        Assert.Equal(TimeSpan.FromSeconds(30), before.IdleTimeout);
    }

    [Fact]
    public void Reload_Succeeds_AppliesNewSettingsToTheSameState()
    {
        var port = FreePort.Next();
        using var gateway = new TestGateway(Config(port, weightA: 3, maxIdleA: 4, idleTimeoutA: "30s"));
        var before = Endpoint(gateway, "a");

        var result = gateway.Reload(Config(port, weightA: 7, maxIdleA: 8, idleTimeoutA: "45s"));

        Assert.True(result.Success, result.Describe());
        Assert.Same(before, Endpoint(gateway, "a"));
        Assert.Equal(7, before.Model.Weight);
        Assert.Equal(8, before.MaxIdleConnections);
        Assert.Equal(TimeSpan.FromSeconds(45), before.IdleTimeout);
    }

    [Fact]
    public void Start_SameAddressInTwoClusters_EachClusterKeepsItsOwnSettings()
    {
        using var gateway = new TestGateway(Config(FreePort.Next(), weightA: 3, maxIdleA: 4, idleTimeoutA: "30s"));

        var a = Endpoint(gateway, "a");
        var b = Endpoint(gateway, "b");

        Assert.Equal((3, 4, TimeSpan.FromSeconds(30)), (a.Model.Weight, a.MaxIdleConnections, a.IdleTimeout));
        Assert.Equal((1, 9, TimeSpan.FromSeconds(90)), (b.Model.Weight, b.MaxIdleConnections, b.IdleTimeout));
    }
}
