using System.Net;
using System.Net.WebSockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2;

/// <summary>WebSockets over HTTP/2 across a reload and a drain: a reload never cuts them; the drain ends them with 1001.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class Http2WebSocketReloadTests(UpstreamsFixture upstreams)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static SocketsHttpHandler Handler() => new() { UseProxy = false, UseCookies = false };

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await socket.ConnectAsync(uri, invoker, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    [Fact]
    public async Task Reload_RouteAndClusterRemoved_OpenHttp2WebSocketsKeepEchoing()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, listener: "h2c = true"));
        using var invoker = new HttpMessageInvoker(Handler());
        var uri = new Uri($"ws://127.0.0.1:{gateway.Port}/ws");
        var sockets = new List<ClientWebSocket>();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            for (var i = 0; i < 10; i++)
            {
                sockets.Add(await ConnectAsync(uri, invoker, cts.Token));
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
                h2c = true

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

            // A new WebSocket, on the same HTTP/2 connection, to the old path finds no route.
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(uri, invoker, cts.Token));
            Assert.Contains("404", refused.Message + refused.InnerException?.Message, StringComparison.Ordinal);

            foreach (var socket in sockets)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
                Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
            }
            var metrics = await gateway.MetricsAsync();
            Assert.Equal(10, FastGateProcess.Metric(metrics, "fastgate_websocket_upgrades_total{result=\"ok\"}"));
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
    public async Task Drain_OpenHttp2WebSocket_EchoesOnThenGetsClose1001()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "drain_timeout = \"3s\"", listener: "h2c = true"));
        using var invoker = new HttpMessageInvoker(Handler());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var socket = await ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.Port}/ws"), invoker, cts.Token);
        await EchoAllAsync([socket], "before", cts.Token);

        gateway.Process.Signal("TERM");
        // The drain sends GOAWAY; the stream already open is served on until the drain timeout.
        await Task.Delay(1000, cts.Token);
        await EchoAllAsync([socket], "during", cts.Token);

        var buffer = new byte[1024];
        var result = await socket.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.CloseStatus);
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
