using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// One mock upstream (its <c>/ws</c> echo), two raw WebSocket upstreams (one recording what it
/// receives, one answering with a wrong Sec-WebSocket-Accept) and a gateway with a route per case:
/// <list type="bullet">
/// <item><c>limited</c>: <c>/limited/</c> to the mock, max_frame_bytes 1KiB.</item>
/// <item><c>off</c>: <c>/off/</c> to the mock, WebSocket disabled (403).</item>
/// <item><c>locked</c>: <c>/locked/</c> to the mock, behind an API key (<c>?key=</c>).</item>
/// <item><c>raw</c>: <c>/raw/</c> to the recording upstream.</item>
/// <item><c>bad</c>: <c>/bad/</c> to the upstream with the wrong Accept (502).</item>
/// <item><c>default</c>: everything else to the mock.</item>
/// </list>
/// The second listener (<see cref="FastGateProcess.Port2"/>) has idle_timeout 1s, which is the
/// stream idle timeout of its tunnels.
/// </summary>
public sealed class WebSocketGatewayFixture : IAsyncLifetime
{
    public const string AliceKey = "alice-websocket-key-0123456789";

    public MockUpstreamProcess Mock { get; private set; } = null!;
    public RawWebSocketUpstream Raw { get; private set; } = null!;
    public RawWebSocketUpstream Bad { get; private set; } = null!;
    public FastGateProcess Gateway { get; private set; } = null!;
    public string AccessLog => Path.Combine(Gateway.Directory, "access.log");

    public async Task InitializeAsync()
    {
        Mock = await MockUpstreamProcess.StartAsync("ws");
        Raw = new RawWebSocketUpstream();
        Bad = new RawWebSocketUpstream(wrongAccept: true);
        Gateway = await FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"

            [log]
            access = "access.log"

            [consumer.alice]
            keys = ["{{AliceKey}}"]

            [[listener]]
            name = "web"
            listen = "{listen}"

            [[listener]]
            name = "idle"
            listen = "{listen2}"
            idle_timeout = "1s"

            [[route]]
            name = "limited"
            path_prefix = "/limited/"
            strip_prefix = "/limited"
            cluster = "mock"
            [route.websocket]
            max_frame_bytes = "1KiB"

            [[route]]
            name = "off"
            path_prefix = "/off/"
            strip_prefix = "/off"
            cluster = "mock"
            [route.websocket]
            enabled = false

            [[route]]
            name = "locked"
            path_prefix = "/locked/"
            strip_prefix = "/locked"
            cluster = "mock"
            auth = ["api_key"]
            api_key_query = "key"

            [[route]]
            name = "raw"
            path_prefix = "/raw/"
            cluster = "raw"

            [[route]]
            name = "bad"
            path_prefix = "/bad/"
            cluster = "bad"

            [[route]]
            name = "default"
            path_prefix = "/"
            cluster = "mock"

            [cluster.mock]
            endpoints = ["{{Mock.Address}}"]

            [cluster.raw]
            endpoints = ["{{Raw.Address}}"]

            [cluster.bad]
            endpoints = ["{{Bad.Address}}"]
            """);
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
        if (Mock is not null)
        {
            await Mock.DisposeAsync();
        }
        if (Raw is not null)
        {
            await Raw.DisposeAsync();
        }
        if (Bad is not null)
        {
            await Bad.DisposeAsync();
        }
    }
}

public sealed class WebSocketTests(WebSocketGatewayFixture fixture) : IClassFixture<WebSocketGatewayFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private FastGateProcess Gateway => fixture.Gateway;

    private static async Task<ClientWebSocket> ConnectAsync(int port, string path, params string[] subprotocols)
    {
        var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        foreach (var subprotocol in subprotocols)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }
        using var cts = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}{path}"), cts.Token);
        return socket;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload, WebSocketReceiveResult Last)> ReceiveAsync(ClientWebSocket socket)
    {
        using var cts = new CancellationTokenSource(Patience);
        var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, message.ToArray(), result);
            }
        }
    }

    /// <summary>Sends <paramref name="payload"/> as one message in fragments of <paramref name="fragment"/> bytes.</summary>
    private static async Task SendAsync(ClientWebSocket socket, byte[] payload, WebSocketMessageType type, int fragment = int.MaxValue)
    {
        using var cts = new CancellationTokenSource(Patience);
        var offset = 0;
        do
        {
            var count = Math.Min(fragment, payload.Length - offset);
            await socket.SendAsync(payload.AsMemory(offset, count), type, offset + count == payload.Length, cts.Token);
            offset += count;
        }
        while (offset < payload.Length);
    }

    private static byte[] Text(int length)
    {
        // Multi-byte characters too, so a fragment boundary falls inside one now and then.
        var unit = "aé€😀";
        var text = new StringBuilder();
        for (var bytes = 0; bytes < length; bytes += Encoding.UTF8.GetByteCount(unit))
        {
            text.Append(unit);
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task ClientWebSocket_MessagesOfSeveralSizes_EchoThroughTheDaemon()
    {
        using var socket = await ConnectAsync(Gateway.Port, "/ws");
        foreach (var size in new[] { 0, 1, 125, 126, 65_535, 65_536, 1_000_000 })
        {
            var binary = RandomNumberGenerator.GetBytes(size);
            await SendAsync(socket, binary, WebSocketMessageType.Binary);
            var echoed = await ReceiveAsync(socket);
            Assert.Equal(WebSocketMessageType.Binary, echoed.Type);
            Assert.Equal(binary, echoed.Payload);

            var text = size == 0 ? [] : Text(size);
            await SendAsync(socket, text, WebSocketMessageType.Text);
            echoed = await ReceiveAsync(socket);
            Assert.Equal(WebSocketMessageType.Text, echoed.Type);
            Assert.Equal(text, echoed.Payload);
        }
    }

    [Fact]
    public async Task ClientWebSocket_LargeMessagesInFragments_EchoWhole()
    {
        using var socket = await ConnectAsync(Gateway.Port, "/ws");
        var binary = RandomNumberGenerator.GetBytes(3_000_000);
        await SendAsync(socket, binary, WebSocketMessageType.Binary, fragment: 100_000);
        Assert.Equal(binary, (await ReceiveAsync(socket)).Payload);

        // Fragments of 7 bytes cut the multi-byte characters: UTF-8 is checked across them.
        var text = Text(50_000);
        await SendAsync(socket, text, WebSocketMessageType.Text, fragment: 7_777);
        var echoed = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, echoed.Type);
        Assert.Equal(text, echoed.Payload);
    }

    [Fact]
    public async Task ClientWebSocket_OffersTwoSubprotocols_SeesTheOneTheUpstreamChose()
    {
        using var second = await ConnectAsync(Gateway.Port, "/ws?protocol=chat.v2", "chat.v1", "chat.v2");
        Assert.Equal("chat.v2", second.SubProtocol);
        using var first = await ConnectAsync(Gateway.Port, "/ws", "chat.v1", "chat.v2");
        Assert.Equal("chat.v1", first.SubProtocol);
        await SendAsync(first, "hello"u8.ToArray(), WebSocketMessageType.Text);
        Assert.Equal("hello"u8.ToArray(), (await ReceiveAsync(first)).Payload);
    }

    [Fact]
    public async Task CloseHandshake_CodesAndReasons_PassBothWays()
    {
        // The upstream closes: its code reaches the client.
        using (var socket = await ConnectAsync(Gateway.Port, "/ws"))
        {
            await SendAsync(socket, "close:4000"u8.ToArray(), WebSocketMessageType.Text);
            var received = await ReceiveAsync(socket);
            Assert.Equal(WebSocketMessageType.Close, received.Type);
            Assert.Equal(4000, (int)socket.CloseStatus!.Value);
        }

        // The client closes: the upstream answers with the same code, which comes back.
        using (var socket = await ConnectAsync(Gateway.Port, "/ws"))
        {
            using var cts = new CancellationTokenSource(Patience);
            await socket.CloseAsync((WebSocketCloseStatus)4001, "bye now", cts.Token);
            Assert.Equal(WebSocketState.Closed, socket.State);
            Assert.Equal(4001, (int)socket.CloseStatus!.Value);
        }

        // Through the recording upstream: the code and reason arrive as the client sent them.
        await using (var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/raw/close"))
        {
            Assert.Equal(101, raw.Status);
            await raw.SendAsync(WebSocketWire.CloseFrame(4321, "see you"));
            var answer = await raw.ReadFrameAsync();
            Assert.Equal(WebSocketWireFrame.Close, answer!.Opcode);
            Assert.Equal(4321, answer.CloseCode);
            Assert.True(await raw.IsClosedByPeerAsync(Patience));
        }
        Assert.Contains(fixture.Raw.Frames, f => f.Opcode == WebSocketWireFrame.Close && f.CloseCode == 4321 && f.CloseReason == "see you");
    }

    [Fact]
    public async Task Ping_FromClient_PongComesBackFromTheUpstream()
    {
        await using var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/ws");
        Assert.Equal(101, raw.Status);
        await raw.SendAsync(WebSocketWire.Frame(WebSocketWireFrame.Ping, "are you there"u8));
        var pong = await raw.ReadFrameAsync();
        Assert.Equal(WebSocketWireFrame.Pong, pong!.Opcode);
        Assert.False(pong.Masked);
        Assert.Equal("are you there", Encoding.UTF8.GetString(pong.Payload));
    }

    [Fact]
    public async Task Upgrade_ResponseCarriesTheHandshakeHeadersAndForwardingHeadersGoUpstream()
    {
        await using var raw = await RawWebSocketClient.ConnectAsync(Gateway.Port);
        var key = WebSocketWire.NewKey();
        await raw.SendAsync($"GET /raw/headers?x=1 HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: one, two\r\nX-Custom: kept\r\n\r\n");
        var head = await raw.ReadHeadAsync();
        Assert.Equal(101, raw.Status);
        Assert.Equal(WebSocketWire.AcceptFor(key), WebSocketWire.Header(head, "Sec-WebSocket-Accept"));
        Assert.Equal("websocket", WebSocketWire.Header(head, "Upgrade"), ignoreCase: true);
        Assert.Contains("upgrade", WebSocketWire.Header(head, "Connection")!, StringComparison.OrdinalIgnoreCase);

        var request = fixture.Raw.Requests.Single(r => r.StartsWith("GET /raw/headers?x=1 ", StringComparison.Ordinal));
        Assert.Equal(key, WebSocketWire.Header(request, "Sec-WebSocket-Key"));
        Assert.Equal("13", WebSocketWire.Header(request, "Sec-WebSocket-Version"));
        Assert.Equal("one, two", WebSocketWire.Header(request, "Sec-WebSocket-Protocol"));
        Assert.Equal("websocket", WebSocketWire.Header(request, "Upgrade"));
        Assert.Equal("Upgrade", WebSocketWire.Header(request, "Connection"));
        Assert.Equal("kept", WebSocketWire.Header(request, "X-Custom"));
        Assert.Equal("127.0.0.1", WebSocketWire.Header(request, "X-Forwarded-For"));
        Assert.Equal("example.test", WebSocketWire.Header(request, "X-Forwarded-Host"));
    }

    [Theory]
    [InlineData("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", 400)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n", 400)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426)]
    [InlineData("POST /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 400)]
    [InlineData("GET /off/ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 403)]
    public async Task Upgrade_Refused_AnswersAndCloses(string request, int status)
    {
        await using var raw = await RawWebSocketClient.ConnectAsync(Gateway.Port);
        await raw.SendAsync(request);
        var head = await raw.ReadHeadAsync();
        Assert.Equal(status, raw.Status);
        if (status == 426)
        {
            Assert.Equal("13", WebSocketWire.Header(head, "Sec-WebSocket-Version"));
        }
        Assert.True(await raw.IsClosedByPeerAsync(Patience));
    }

    [Fact]
    public async Task Upgrade_OfAnotherProtocol_IsServedAsPlainHttp()
    {
        await using var raw = await RawWebSocketClient.ConnectAsync(Gateway.Port);
        await raw.SendAsync("GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
        await raw.ReadHeadAsync();
        Assert.Equal(200, raw.Status);
    }

    [Fact]
    public async Task Upgrade_AnsweredWithoutA101_IsANormalResponse_AndTheConnectionGoesOn()
    {
        var before = FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_websocket_upgrades_total{result=\"refused\"}");
        await using var connection = await RawHttpConnection.ConnectAsync(Gateway.Port);
        // The mock's /echo is no WebSocket endpoint: it answers 200 and ignores the Upgrade.
        await connection.SendAsync("GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        var refused = await connection.ReadResponseAsync();
        Assert.Equal(200, refused.Status);

        await connection.SendAsync("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n");
        var plain = await connection.ReadResponseAsync();
        Assert.Equal(200, plain.Status);
        Assert.DoesNotContain("websocket", plain.BodyText, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before + 1, FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_websocket_upgrades_total{result=\"refused\"}"));
    }

    [Fact]
    public async Task UnmaskedClientFrame_ClosesBothSidesWith1002()
    {
        await using var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/raw/unmasked");
        Assert.Equal(101, raw.Status);
        await raw.SendAsync(WebSocketWire.Frame(WebSocketWireFrame.Text, "first"u8));
        Assert.Equal("first", Encoding.UTF8.GetString((await raw.ReadFrameAsync())!.Payload));

        await raw.SendAsync(WebSocketWire.Frame(WebSocketWireFrame.Text, "naked"u8, masked: false));
        var close = await raw.ReadFrameAsync();
        Assert.Equal(WebSocketWireFrame.Close, close!.Opcode);
        Assert.False(close.Masked);
        Assert.Equal(1002, close.CloseCode);
        Assert.True(await raw.IsClosedByPeerAsync(Patience));

        // The upstream got a close of its own (masked, as from a client), and never the bad frame.
        await WaitUntilAsync(() => fixture.Raw.Frames.Any(f => f.Opcode == WebSocketWireFrame.Close && f.CloseCode == 1002));
        Assert.DoesNotContain(fixture.Raw.Frames, f => Encoding.UTF8.GetString(f.Payload) == "naked");
        Assert.All(fixture.Raw.Frames, f => Assert.True(f.Masked));
    }

    [Fact]
    public async Task InvalidUtf8Text_ClosesWith1007()
    {
        await using var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/ws");
        Assert.Equal(101, raw.Status);
        await raw.SendAsync(WebSocketWire.Frame(WebSocketWireFrame.Text, [(byte)'o', (byte)'k', 0xC3, 0x28]));
        var close = await raw.ReadFrameAsync();
        Assert.Equal(WebSocketWireFrame.Close, close!.Opcode);
        Assert.Equal(1007, close.CloseCode);
        Assert.True(await raw.IsClosedByPeerAsync(Patience));
    }

    [Fact]
    public async Task FrameOverMaxFrameBytes_ClosesWith1009()
    {
        await using var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/limited/ws");
        Assert.Equal(101, raw.Status);
        await raw.SendAsync(WebSocketWire.Frame(WebSocketWireFrame.Binary, new byte[1024]));
        Assert.Equal(1024, (await raw.ReadFrameAsync())!.Payload.Length);

        await raw.SendAsync(WebSocketWire.Frame(WebSocketWireFrame.Binary, new byte[1025]));
        var close = await raw.ReadFrameAsync();
        Assert.Equal(WebSocketWireFrame.Close, close!.Opcode);
        Assert.Equal(1009, close.CloseCode);
        Assert.True(await raw.IsClosedByPeerAsync(Patience));
    }

    [Fact]
    public async Task UpstreamWithWrongAccept_Answers502()
    {
        var before = FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_websocket_upgrades_total{result=\"bad_upstream_response\"}");
        await using var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/bad/ws");
        Assert.Equal(502, raw.Status);
        var after = FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_websocket_upgrades_total{result=\"bad_upstream_response\"}");
        Assert.Equal(before + 1, after);
    }

    [Fact]
    public async Task IdleTunnel_IsClosedWith1001AfterTheStreamIdleTimeout()
    {
        using var socket = await ConnectAsync(Gateway.Port2, "/ws");
        await SendAsync(socket, "still here"u8.ToArray(), WebSocketMessageType.Text);
        Assert.Equal("still here"u8.ToArray(), (await ReceiveAsync(socket)).Payload);

        // Nothing either way for idle_timeout (1s): the gateway says Going Away.
        var received = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Close, received.Type);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.CloseStatus);
        Assert.Equal("idle timeout", socket.CloseStatusDescription);
        await WaitUntilAsync(async () => FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_websocket_closes_total{reason=\"idle\"}") >= 1);
    }

    [Fact]
    public async Task Metrics_CountUpgradesOpenTunnelsAndBytes()
    {
        using var socket = await ConnectAsync(Gateway.Port, "/ws");
        await SendAsync(socket, "count me"u8.ToArray(), WebSocketMessageType.Text);
        await ReceiveAsync(socket);
        var metrics = await Gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_websocket_upgrades_total{result=\"ok\"}") >= 1);
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_websocket_open") >= 1);
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_websocket_bytes_total{direction=\"client\"}") >= 1);
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_websocket_bytes_total{direction=\"upstream\"}") >= 1);
    }

    [Fact]
    public async Task Upgrade_RefusedByTheRoutesAuth_Answers401_AndPassesWithAKey()
    {
        var before = FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_websocket_upgrades_total{result=\"refused\"}");
        await using (var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/locked/ws"))
        {
            Assert.Equal(401, raw.Status);
        }
        // Counted when the exchange finishes, which may be just after the 401 reached the client.
        Assert.Equal(before + 1, await SseWire.WaitForMetricAsync(Gateway, "fastgate_websocket_upgrades_total{result=\"refused\"}", before + 1));

        using var socket = await ConnectAsync(Gateway.Port, $"/locked/ws?key={WebSocketGatewayFixture.AliceKey}");
        await SendAsync(socket, "let in"u8.ToArray(), WebSocketMessageType.Text);
        Assert.Equal("let in"u8.ToArray(), (await ReceiveAsync(socket)).Payload);
    }

    [Fact]
    public async Task AccessLog_TheUpgradeIsLoggedOnceWhenTheTunnelEnds()
    {
        using (var socket = await ConnectAsync(Gateway.Port, "/ws?tag=logged-tunnel"))
        {
            await SendAsync(socket, new byte[1000], WebSocketMessageType.Binary);
            await ReceiveAsync(socket);
            await Task.Delay(300);
            // Not before the end: the line carries the whole tunnel's bytes and duration.
            Assert.DoesNotContain("logged-tunnel", await AccessLogFile.ReadAsync(fixture.AccessLog), StringComparison.Ordinal);
            using var cts = new CancellationTokenSource(Patience);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
        }
        var entry = await AccessLogFile.WaitForEntryAsync(fixture.AccessLog, "logged-tunnel");
        Assert.Equal(101, entry.GetProperty("status").GetInt32());
        Assert.True(entry.GetProperty("bytes_in").GetInt64() > 1000);
        Assert.True(entry.GetProperty("bytes_out").GetInt64() > 1000);
        Assert.True(entry.GetProperty("duration_ms").GetDouble() >= 300);
        await Task.Delay(300);
        var lines = (await AccessLogFile.ReadAsync(fixture.AccessLog)).Split('\n').Count(l => l.Contains("logged-tunnel", StringComparison.Ordinal));
        Assert.Equal(1, lines);
    }

    [Fact]
    public async Task SmallMessages_AllocateNothingPerMessageInTheDaemon()
    {
        const int Sockets = 4;
        const int Messages = 10_000;
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < Sockets; i++)
            {
                sockets.Add(await ConnectAsync(Gateway.Port, "/ws"));
            }
            async Task EchoAsync(int count) => await Task.WhenAll(sockets.Select(async socket =>
            {
                var message = new byte[64];
                var buffer = new byte[256];
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                for (var i = 0; i < count; i++)
                {
                    await socket.SendAsync(message, WebSocketMessageType.Binary, true, cts.Token);
                    var result = await socket.ReceiveAsync(buffer, cts.Token);
                    Assert.Equal(64, result.Count);
                }
            }));

            // Warm-up: tiered JIT and the pools settle before the measured window.
            await EchoAsync(500);
            var before = await Gateway.MetricsAsync();
            await EchoAsync(Messages);
            var after = await Gateway.MetricsAsync();

            var allocated = FastGateProcess.Metric(after, "fastgate_allocated_bytes_total") - FastGateProcess.Metric(before, "fastgate_allocated_bytes_total");
            // Both directions of every message, and a /metrics answer (a few KiB) in the window.
            var perMessage = allocated / (Sockets * Messages);
            Assert.True(perMessage < 8, $"{perMessage:0.0} bytes allocated per echoed message ({allocated} in all)");
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
    public async Task ClientsThatVanish_EndTheirTunnelsAndTheUpstreamSessions()
    {
        for (var i = 0; i < 20; i++)
        {
            await using var raw = await RawWebSocketClient.UpgradeAsync(Gateway.Port, "/ws");
            Assert.Equal(101, raw.Status);
            await raw.SendAsync(WebSocketWire.Frame(WebSocketWireFrame.Text, "bye"u8));
            await raw.ReadFrameAsync();
            // Disposed without a close frame: the daemon sees only the connection end.
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://{fixture.Mock.Address}"), Timeout = TimeSpan.FromSeconds(10) };
        await WaitUntilAsync(async () =>
            FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_websocket_open") == 0
            && System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/__mock/stats")).RootElement.GetProperty("ws_open").GetInt64() == 0);
    }

    private static async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(50, cts.Token);
        }
    }
}
