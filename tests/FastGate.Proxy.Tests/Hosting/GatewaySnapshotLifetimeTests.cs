using System.Runtime.CompilerServices;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.Hosting;

/// <summary>Nothing keeps a replaced snapshot alive: its routes, clusters and regexes go with the next collection.</summary>
public sealed class GatewaySnapshotLifetimeTests
{
    private static string Config(int port) => $$"""
        [log]
        access = "off"

        [[listener]]
        name = "web"
        listen = "127.0.0.1:{{port}}"

        [[route]]
        name = "api"
        path_regex = "^/api/(items|orders)/"
        cluster = "mock"

        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["127.0.0.1:9001"]
        """;

    // Not inlined, so no local of the caller's frame holds the snapshot.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<GatewaySnapshot> Track(Gateway gateway) => new(gateway.Current);

    private static bool Collected(WeakReference<GatewaySnapshot> reference)
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return !reference.TryGetTarget(out _);
    }

    [Fact]
    public async Task Reload_AfterServingOnAConnectionThatClosed_OldSnapshotIsCollected()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        var port = FreePort.Next();
        using var gateway = new TestGateway(Config(port), origin);
        using (var client = gateway.Connect())
        {
            await client.SendAsync("GET /api/items/1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await client.ReceiveAsync())[0], StringComparison.Ordinal);
            Assert.True(await client.ClosedAsync());
        }
        var old = Track(gateway.Gateway);

        var result = gateway.Reload(Config(port));

        Assert.True(result.Success, result.Describe());
        Assert.True(Collected(old), "the replaced snapshot is still reachable after a reload");
    }

    [Fact]
    public void Reload_TwiceWithOneRejected_FirstSnapshotIsCollected()
    {
        var port = FreePort.Next();
        using var gateway = new TestGateway(Config(port));
        var first = Track(gateway.Gateway);

        Assert.True(gateway.Reload(Config(port)).Success);
        Assert.False(gateway.Reload(Config(port) + "\n[[listener]]\nname = \"busy\"\nlisten = \"127.0.0.1:" + port + "\"\n").Success);

        Assert.True(Collected(first), "the first snapshot is still reachable after two reloads");
    }
}
