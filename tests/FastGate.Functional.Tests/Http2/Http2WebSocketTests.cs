using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// One mock upstream (its <c>/ws</c> echo) and a gateway with listener <c>web</c>
/// (<see cref="FastGateProcess.Port"/>, h2c = true) and listener <c>tls</c>
/// (<see cref="FastGateProcess.Port2"/>, a test CA's certificate for a.test, ALPN h2). Routes:
/// <c>/off/</c> with WebSocket disabled (403), everything else to the mock.
/// </summary>
public sealed class Http2WebSocketFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-h2ws-").FullName;
    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;
    private TestPki? _pki;

    public MockUpstreamProcess Upstream => _upstream!;
    public FastGateProcess Gateway => _gateway!;
    public TestPki Pki => _pki!;
    public string AccessLog => Path.Combine(Gateway.Directory, "access.log");

    public async Task InitializeAsync()
    {
        _pki = new TestPki(_directory);
        _pki.Server("a", "a.test", ["a.test"]);
        _upstream = await MockUpstreamProcess.StartAsync("h2ws-upstream");
        _gateway = await FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"

            [log]
            access = "access.log"

            [[listener]]
            name = "web"
            listen = "{listen}"
            h2c = true

            [[listener]]
            name = "tls"
            listen = "{listen2}"
            [listener.tls]
            cert = "{{_pki.Path("a.pem")}}"
            key = "{{_pki.Path("a.key")}}"

            [[route]]
            name = "off"
            path_prefix = "/off/"
            strip_prefix = "/off"
            cluster = "mock"
            [route.websocket]
            enabled = false

            [[route]]
            name = "default"
            path_prefix = "/"
            cluster = "mock"

            [cluster.mock]
            endpoints = ["{{_upstream.Address}}"]
            """);
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
        _pki?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A handler that speaks HTTP/2 only: with prior knowledge (h2c) on ws://, by ALPN on wss:// as a.test.</summary>
    public SocketsHttpHandler Handler() => new()
    {
        UseProxy = false,
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => Pki.Trusts(certificate),
        },
    };

    public Uri H2c(string path) => new($"ws://127.0.0.1:{Gateway.Port}{path}");

    public Uri H2(string path) => new($"wss://a.test:{Gateway.Port2}{path}");
}

/// <summary>
/// WebSocket over HTTP/2 (RFC 8441) with .NET's ClientWebSocket, which opens it with extended
/// CONNECT on an HTTP/2 connection: through the daemon to the mock upstream's echo.
/// </summary>
public sealed class Http2WebSocketTests(Http2WebSocketFixture fixture) : IClassFixture<Http2WebSocketFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri, HttpMessageInvoker invoker, params string[] subprotocols)
    {
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var subprotocol in subprotocols)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }
        using var cts = new CancellationTokenSource(Patience);
        try
        {
            await socket.ConnectAsync(uri, invoker, cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync(ClientWebSocket socket)
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
                return (result.MessageType, message.ToArray());
            }
        }
    }

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

    private static async Task EchoAsync(ClientWebSocket socket, byte[] payload, WebSocketMessageType type, int fragment = int.MaxValue)
    {
        await SendAsync(socket, payload, type, fragment);
        var echoed = await ReceiveAsync(socket);
        Assert.Equal(type, echoed.Type);
        Assert.Equal(payload, echoed.Payload);
    }

    private static byte[] Text(int length)
    {
        var unit = "aé€😀";
        var text = new StringBuilder();
        for (var bytes = 0; bytes < length; bytes += Encoding.UTF8.GetByteCount(unit))
        {
            text.Append(unit);
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static TheoryData<bool> Transports => new() { false, true };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ClientWebSocket_OverHttp2_TextAndBinaryOfSeveralSizesEcho(bool tls)
    {
        using var invoker = new HttpMessageInvoker(fixture.Handler());
        using var socket = await ConnectAsync(tls ? fixture.H2("/ws") : fixture.H2c("/ws"), invoker);

        // RFC 8441 §5: the handshake succeeds with :status 200 over HTTP/2, not 101.
        Assert.Equal(HttpStatusCode.OK, socket.HttpStatusCode);
        Assert.Null(socket.HttpResponseHeaders?.FirstOrDefault(h => h.Key.Equals("sec-websocket-accept", StringComparison.OrdinalIgnoreCase)).Value);
        foreach (var size in new[] { 0, 1, 125, 126, 65_535, 65_536, 300_000 })
        {
            await EchoAsync(socket, RandomNumberGenerator.GetBytes(size), WebSocketMessageType.Binary);
            await EchoAsync(socket, size == 0 ? [] : Text(size), WebSocketMessageType.Text);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ClientWebSocket_MessagesLargerThanTheWindows_EchoWhole(bool tls)
    {
        using var invoker = new HttpMessageInvoker(fixture.Handler());
        using var socket = await ConnectAsync(tls ? fixture.H2("/ws") : fixture.H2c("/ws"), invoker);

        // 3 MB each way: past the 1 MiB stream window we announce and the 64 KiB a client starts with.
        await EchoAsync(socket, RandomNumberGenerator.GetBytes(3_000_000), WebSocketMessageType.Binary);
        await EchoAsync(socket, RandomNumberGenerator.GetBytes(3_000_000), WebSocketMessageType.Binary, fragment: 100_000);
        await EchoAsync(socket, Text(50_000), WebSocketMessageType.Text, fragment: 7_777);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ClientWebSocket_OffersTwoSubprotocols_SeesTheOneTheUpstreamChose(bool tls)
    {
        using var invoker = new HttpMessageInvoker(fixture.Handler());
        Func<string, Uri> uri = tls ? fixture.H2 : fixture.H2c;

        using var second = await ConnectAsync(uri("/ws?protocol=chat.v2"), invoker, "chat.v1", "chat.v2");
        using var first = await ConnectAsync(uri("/ws"), invoker, "chat.v1", "chat.v2");

        Assert.Equal("chat.v2", second.SubProtocol);
        Assert.Equal("chat.v1", first.SubProtocol);
        await EchoAsync(first, "hello"u8.ToArray(), WebSocketMessageType.Text);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task CloseHandshake_CodesAndReasons_ReachTheClient(bool tls)
    {
        using var invoker = new HttpMessageInvoker(fixture.Handler());
        Func<string, Uri> uri = tls ? fixture.H2 : fixture.H2c;

        // The upstream closes: its code and reason reach the client.
        using (var socket = await ConnectAsync(uri("/ws"), invoker))
        {
            await SendAsync(socket, "close:4000"u8.ToArray(), WebSocketMessageType.Text);
            var received = await ReceiveAsync(socket);
            Assert.Equal(WebSocketMessageType.Close, received.Type);
            Assert.Equal(4000, (int)socket.CloseStatus!.Value);
            Assert.Equal("asked to", socket.CloseStatusDescription);
        }

        // The client closes: the upstream answers with the same code and reason, which come back.
        using (var socket = await ConnectAsync(uri("/ws"), invoker))
        {
            using var cts = new CancellationTokenSource(Patience);
            await socket.CloseAsync((WebSocketCloseStatus)4001, "bye now", cts.Token);
            Assert.Equal(WebSocketState.Closed, socket.State);
            Assert.Equal(4001, (int)socket.CloseStatus!.Value);
            Assert.Equal("bye now", socket.CloseStatusDescription);
        }

        // The connection those WebSockets shared still serves.
        using var client = new HttpClient(fixture.Handler(), disposeHandler: true);
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, tls ? $"https://a.test:{fixture.Gateway.Port2}/" : $"http://127.0.0.1:{fixture.Gateway.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SeveralWebSocketsAndGets_ShareOneHttp2Connection()
    {
        using var handler = fixture.Handler();
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        using var client = new HttpClient(handler, disposeHandler: false)
        {
            BaseAddress = new Uri($"http://127.0.0.1:{fixture.Gateway.Port}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        // The first request opens the connection; everything after goes on it.
        using (var first = await client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var before = await fixture.Gateway.MetricsAsync();

        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                sockets.Add(await ConnectAsync(fixture.H2c("/ws"), invoker));
            }
            var echoes = sockets.Select(async (socket, i) =>
            {
                for (var round = 0; round < 20; round++)
                {
                    await EchoAsync(socket, Encoding.UTF8.GetBytes($"socket {i} round {round}"), WebSocketMessageType.Text);
                    await EchoAsync(socket, RandomNumberGenerator.GetBytes(20_000 + i), WebSocketMessageType.Binary);
                }
            });
            var gets = Enumerable.Range(0, 30).Select(async _ =>
            {
                using var response = await client.GetAsync("/");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(HttpVersion.Version20, response.Version);
                Assert.Equal("Hello World!", await response.Content.ReadAsStringAsync());
            });
            await Task.WhenAll(echoes.Concat(gets)).WaitAsync(TimeSpan.FromSeconds(60));

            // 6 WebSockets and 30 GETs, each a stream of the one connection: no other was accepted.
            var metrics = await fixture.Gateway.MetricsAsync();
            Assert.Equal(36, StreamsOnWeb(metrics) - StreamsOnWeb(before));
            Assert.Equal(Accepted(before), Accepted(metrics));
            Assert.True(FastGateProcess.Metric(metrics, "fastgate_websocket_open") >= 6);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static double StreamsOnWeb(string metrics) => FastGateProcess.Metric(metrics, "fastgate_http2_streams_total{listener=\"web\"}");

    private static double Accepted(string metrics) => FastGateProcess.Metric(metrics, "fastgate_connections_total");

    /// <summary>
    /// The stream's bridge and the tunnel allocate nothing per message. Measured on the portable
    /// transport: on the epoll transport an HTTP/2 connection reads through a Stream adapter over
    /// the loop (HttpConnectionHandler.Http2.cs) that allocates per read, for every HTTP/2
    /// connection alike, which would hide what this test is about.
    /// </summary>
    [Fact]
    public async Task SmallMessages_AllocateNothingPerMessageInTheBridgeOrTheTunnel()
    {
        const int Sockets = 4;
        // Enough messages that the fixed costs in the window (a /metrics answer, heartbeats) stay well under a byte each.
        const int Messages = 10_000;
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(fixture.Upstream.Address, listener: "h2c = true"),
            new Dictionary<string, string> { ["FASTGATE_TRANSPORT"] = "portable" });
        using var invoker = new HttpMessageInvoker(fixture.Handler());
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < Sockets; i++)
            {
                sockets.Add(await ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.Port}/ws"), invoker));
            }
            async Task EchoManyAsync(int count) => await Task.WhenAll(sockets.Select(async socket =>
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
            await EchoManyAsync(500);
            var before = await gateway.MetricsAsync();
            await EchoManyAsync(Messages);
            var after = await gateway.MetricsAsync();

            var allocated = FastGateProcess.Metric(after, "fastgate_allocated_bytes_total") - FastGateProcess.Metric(before, "fastgate_allocated_bytes_total");
            // Both directions of every message (DATA in, DATA out, WINDOW_UPDATEs), and a /metrics answer in the window.
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
    public async Task RouteWithWebSocketOff_RefusesWith403_AndTheConnectionGoesOn()
    {
        using var handler = fixture.Handler();
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(fixture.H2c("/off/ws"), invoker));
        Assert.Contains("403", refused.Message + refused.InnerException?.Message, StringComparison.Ordinal);

        using var socket = await ConnectAsync(fixture.H2c("/ws"), invoker);
        await EchoAsync(socket, "still here"u8.ToArray(), WebSocketMessageType.Text);
    }

    [Fact]
    public async Task AccessLog_TheWebSocketIsLoggedAsHttp2WhenItEnds()
    {
        using var invoker = new HttpMessageInvoker(fixture.Handler());
        using (var socket = await ConnectAsync(fixture.H2c("/ws?tag=h2-websocket-logged"), invoker))
        {
            await EchoAsync(socket, "logged"u8.ToArray(), WebSocketMessageType.Text);
            using var cts = new CancellationTokenSource(Patience);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        }

        var entry = await AccessLogFile.WaitForEntryAsync(fixture.AccessLog, "h2-websocket-logged");

        Assert.Equal("HTTP/2.0", entry.GetProperty("protocol").GetString());
        Assert.Equal(101, entry.GetProperty("status").GetInt32());
    }
}
