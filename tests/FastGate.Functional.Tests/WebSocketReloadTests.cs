using System.Net.WebSockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>A reload never cuts a WebSocket tunnel, even one whose route and cluster left the config.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class WebSocketReloadTests(UpstreamsFixture upstreams)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Reload_RouteAndClusterRemoved_OpenTunnelsKeepEchoing()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address));
        var sockets = new List<ClientWebSocket>();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            for (var i = 0; i < 50; i++)
            {
                var socket = new ClientWebSocket();
                socket.Options.Proxy = null;
                socket.Options.KeepAliveInterval = TimeSpan.Zero;
                sockets.Add(socket);
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.Port}/ws"), cts.Token);
            }
            await EchoAllAsync(sockets, "before", cts.Token);

            // The only route and its cluster go; another cluster and a route elsewhere come.
            gateway.WriteConfig($$"""
                [admin]
                listen = "{admin}"

                [log]
                access = "off"

                [[listener]]
                name = "web"
                listen = "{listen}"

                [[route]]
                name = "elsewhere"
                path_prefix = "/elsewhere/"
                cluster = "other"

                [cluster.other]
                endpoints = ["{{upstreams.B.Address}}"]
                """);
            gateway.Process.Signal("HUP");
            while (FastGateProcess.Metric(await gateway.MetricsAsync(), "fastgate_reloads_total{result=\"success\"}") < 1)
            {
                await Task.Delay(50, cts.Token);
            }

            await EchoAllAsync(sockets, "after", cts.Token);
            Assert.All(sockets, s => Assert.Equal(WebSocketState.Open, s.State));

            // A new upgrade to the old path finds no route.
            using var late = new ClientWebSocket();
            late.Options.Proxy = null;
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => late.ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.Port}/ws"), cts.Token));
            Assert.Contains("404", refused.Message + refused.InnerException?.Message, StringComparison.Ordinal);

            foreach (var socket in sockets)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
            var metrics = await gateway.MetricsAsync();
            Assert.Equal(50, FastGateProcess.Metric(metrics, "fastgate_websocket_upgrades_total{result=\"ok\"}"));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task Drain_OpenTunnel_IsNotClosedAsIdle()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "drain_timeout = \"4s\""));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.Port}/ws"), cts.Token);
        await EchoAllAsync([socket], "before", cts.Token);

        gateway.Process.Signal("TERM");
        // The drain closes connections between exchanges every 50 ms; a tunnel is inside one.
        await Task.Delay(1000, cts.Token);
        await EchoAllAsync([socket], "during", cts.Token);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    private static async Task EchoAllAsync(List<ClientWebSocket> sockets, string word, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        for (var i = 0; i < sockets.Count; i++)
        {
            var message = Encoding.UTF8.GetBytes($"{word} {i}");
            await sockets[i].SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            var result = await sockets[i].ReceiveAsync(buffer, cancellationToken);
            Assert.True(result.EndOfMessage);
            Assert.Equal($"{word} {i}", Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }
}
