using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// One mock upstream and one gateway for the SSE tests, with a route per stream setting:
/// <c>/sse</c> plain, <c>/idle/</c> stream_idle_timeout 1s, <c>/max/</c> max_stream_duration
/// 1500ms, <c>/fb/</c> first_byte_timeout 300ms (timeout 10s), <c>/slowhead/</c> timeout 10s
/// only, <c>/stream/</c> streaming = true.
/// </summary>
public sealed class SseGatewayFixture : IAsyncLifetime
{
    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;

    public FastGateProcess Gateway => _gateway!;

    public static string Config(string upstream) => $$"""
        [admin]
        listen = "{admin}"

        [log]
        access = "off"

        [[listener]]
        name = "web"
        listen = "{listen}"

        [[route]]
        name = "idle"
        path_prefix = "/idle/"
        strip_prefix = "/idle"
        stream_idle_timeout = "1s"
        cluster = "mock"

        [[route]]
        name = "max"
        path_prefix = "/max/"
        strip_prefix = "/max"
        max_stream_duration = "1500ms"
        cluster = "mock"

        [[route]]
        name = "fb"
        path_prefix = "/fb/"
        strip_prefix = "/fb"
        first_byte_timeout = "300ms"
        timeout = "10s"
        cluster = "mock"

        [[route]]
        name = "slowhead"
        path_prefix = "/slowhead/"
        strip_prefix = "/slowhead"
        timeout = "10s"
        cluster = "mock"

        [[route]]
        name = "stream"
        path_prefix = "/stream/"
        strip_prefix = "/stream"
        streaming = true
        stream_idle_timeout = "1s"
        cluster = "mock"

        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["{{upstream}}"]
        """;

    public async Task InitializeAsync()
    {
        _upstream = await MockUpstreamProcess.StartAsync("sse");
        _gateway = await FastGateProcess.StartAsync(Config(_upstream.Address));
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
    }
}

[Collection(OwnGatewayCollection.Name)]
public sealed class SseTests(SseGatewayFixture fixture) : IClassFixture<SseGatewayFixture>
{
    private FastGateProcess Gateway => fixture.Gateway;

    [Theory]
    [InlineData("lf")]
    [InlineData("crlf")]
    [InlineData("cr")]
    public async Task BrowserStyleClient_ThroughDaemon_GetsEveryEventInOrder(string eol)
    {
        using var client = SseWire.Client(Gateway.BaseUri, TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var result = await SseWire.ReadAsync(client, $"/sse?count=20&interval_ms=10&eol={eol}", cts.Token);
        Assert.Equal(200, result.Status);
        Assert.True(result.EndedCleanly, result.Error);
        Assert.Equal(20, result.Events.Count);
        Assert.Null(SseWire.CheckInOrder(result.Events));
    }

    [Theory]
    [InlineData("lf", "\n")]
    [InlineData("crlf", "\r\n")]
    [InlineData("cr", "\r")]
    public async Task EventStream_EveryLineEnding_PassesByteExact(string eol, string ending)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var (bytes, closed) = await SseWire.RawGetAsync(Gateway.Port, $"/sse?count=12&interval_ms=0&size=40&eol={eol}", cts.Token);
        Assert.True(closed, "the response did not end");
        var (head, body, lastChunk) = SseWire.DecodeChunked(bytes);
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Contains("text/event-stream", head, StringComparison.OrdinalIgnoreCase);
        Assert.True(lastChunk, "no last chunk");
        var expected = string.Concat(Enumerable.Range(1, 12).Select(i => SseWire.Event(i, ending, 40)));
        Assert.Equal(expected, Encoding.ASCII.GetString(body));
    }

    [Fact]
    public async Task EventStream_EventsSpacedOut_EachArrivesBeforeTheNextIsSent()
    {
        using var client = SseWire.Client(Gateway.BaseUri, TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var result = await SseWire.ReadAsync(client, "/sse?count=5&interval_ms=500", cts.Token);
        Assert.True(result.EndedCleanly, result.Error);
        Assert.Equal(5, result.Events.Count);
        Assert.Null(SseWire.CheckInOrder(result.Events));
        // Four 500 ms gaps upstream: a proxy that held the events back would hand them over
        // together at the end; here the first comes about 2 s before the last.
        var first = result.Events[0].At;
        var last = result.Events[^1].At;
        Assert.True(first < TimeSpan.FromSeconds(2), $"first event after {first}");
        Assert.True(last - first > TimeSpan.FromSeconds(1), $"first at {first}, last at {last}: held back");
    }

    [Fact]
    public async Task StreamingRoute_OtherContentType_EachPieceReachesTheClientAtOnce()
    {
        // /duplex writes each piece of the request body back as it comes: the client sends the next
        // piece only after the last came back, so a proxy that buffered the response would stall here.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Gateway.Port), cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes("POST /stream/duplex HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"), SocketFlags.None, cts.Token);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        for (var i = 0; i < 5; i++)
        {
            var piece = $"piece-{i}-";
            await socket.SendAsync(Encoding.ASCII.GetBytes($"{piece.Length:x}\r\n{piece}\r\n"), SocketFlags.None, cts.Token);
            while (!received.ToString().Contains(piece, StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                Assert.True(read > 0, $"closed before '{piece}' came back: {received}");
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        await socket.SendAsync("0\r\n\r\n"u8.ToArray(), SocketFlags.None, cts.Token);
        Assert.StartsWith("HTTP/1.1 200", received.ToString());
        Assert.True(await SseWire.WaitForMetricAsync(Gateway, "fastgate_streams_total{kind=\"http\"}", 1) >= 1, "streaming route response not counted as a stream");
    }

    [Fact]
    public async Task StreamIdleTimeout_IdleStream_EndsAtEventBoundary()
    {
        using var client = SseWire.Client(Gateway.BaseUri, TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        var result = await SseWire.ReadAsync(client, "/idle/sse?count=3&interval_ms=6000", cts.Token);
        // The first event, then 6 s of silence: the 1 s idle timeout ends the stream cleanly after the event.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5.5), $"took {clock.Elapsed}");
        Assert.True(result.EndedCleanly, result.Error);
        Assert.Single(result.Events);
        Assert.Null(SseWire.CheckInOrder(result.Events));
        Assert.True(await SseWire.WaitForMetricAsync(Gateway, "fastgate_stream_ends_total{kind=\"sse\",reason=\"idle_timeout\"}", 1) >= 1);
    }

    [Fact]
    public async Task StreamIdleTimeout_StreamThatKeepsSending_LastsLongerThanIt()
    {
        using var client = SseWire.Client(Gateway.BaseUri, TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        var result = await SseWire.ReadAsync(client, "/idle/sse?count=8&interval_ms=400", cts.Token);
        Assert.True(result.EndedCleanly, result.Error);
        Assert.Equal(8, result.Events.Count);
        Assert.Null(SseWire.CheckInOrder(result.Events));
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2), $"took only {clock.Elapsed}");
    }

    [Fact]
    public async Task StreamIdleTimeout_StreamingRouteWithoutEvents_ClosesIdleResponse()
    {
        // A streaming route's response that is not SSE has no event boundary: idle, it is closed
        // (no last chunk), after stream_idle_timeout rather than the listener's idle_timeout.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Gateway.Port), cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes("POST /stream/duplex HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"), SocketFlags.None, cts.Token);
        var clock = Stopwatch.StartNew();
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (read == 0)
            {
                break;
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"closed after {clock.Elapsed}");
        Assert.Contains("hello", received.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("0\r\n\r\n", received.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamIdleTimeout_StreamingRouteWithEvents_EndsAtEventBoundary()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        var (bytes, closed) = await SseWire.RawGetAsync(Gateway.Port, "/stream/sse?count=3&interval_ms=6000", cts.Token);
        Assert.True(closed);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5.5), $"took {clock.Elapsed}");
        var (_, body, lastChunk) = SseWire.DecodeChunked(bytes);
        Assert.True(lastChunk);
        Assert.Equal(SseWire.Event(1), Encoding.ASCII.GetString(body));
    }

    [Fact]
    public async Task MaxStreamDuration_BusyStream_EndsAfterIt()
    {
        using var client = SseWire.Client(Gateway.BaseUri, TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        var result = await SseWire.ReadAsync(client, "/max/sse?count=0&interval_ms=100", cts.Token);
        var elapsed = clock.Elapsed;
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.4) && elapsed < TimeSpan.FromSeconds(8), $"took {elapsed}");
        Assert.True(result.EndedCleanly, result.Error);
        Assert.True(result.Events.Count >= 3, $"{result.Events.Count} events");
        Assert.Null(SseWire.CheckInOrder(result.Events));
        Assert.True(await SseWire.WaitForMetricAsync(Gateway, "fastgate_stream_ends_total{kind=\"sse\",reason=\"max_duration\"}", 1) >= 1);
    }

    [Fact]
    public async Task FirstByteTimeout_SilentUpstream_504BeforeRouteTimeout()
    {
        using var client = Clients.Http11(Gateway.BaseUri, timeout: TimeSpan.FromSeconds(30));
        var before = FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_upstream_first_byte_timeouts_total");
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync("/fb/delay/4000");
        Assert.Equal(504, (int)response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"504 after {clock.Elapsed}");
        var after = FastGateProcess.Metric(await Gateway.MetricsAsync(), "fastgate_upstream_first_byte_timeouts_total");
        Assert.True(after > before, "first-byte timeout not counted");

        // The route's timeout alone (10 s) waits for the same slow upstream.
        using var slow = await client.GetAsync("/slowhead/delay/1500");
        Assert.Equal(200, (int)slow.StatusCode);
        Assert.Equal("delayed 1500", await slow.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FirstByteTimeout_QuickFirstByte_SlowStreamIsNotCut()
    {
        // The first byte (the head) comes at once; events that follow slowly are the stream idle timeout's business.
        using var client = SseWire.Client(Gateway.BaseUri, TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var result = await SseWire.ReadAsync(client, "/fb/sse?count=3&interval_ms=500&first_ms=700", cts.Token);
        Assert.True(result.EndedCleanly, result.Error);
        Assert.Equal(3, result.Events.Count);
    }

    [Fact]
    public async Task Metrics_StreamsCountedOpenAndEnded()
    {
        using var client = SseWire.Client(Gateway.BaseUri, TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var opened = new TaskCompletionSource();
        var stream = SseWire.ReadAsync(client, "/sse?count=6&interval_ms=300", cts.Token, _ => opened.TrySetResult());
        await opened.Task.WaitAsync(cts.Token);
        var during = await Gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(during, "fastgate_streams_open{kind=\"sse\"}") >= 1);
        var result = await stream;
        Assert.True(result.EndedCleanly, result.Error);
        Assert.True(await SseWire.WaitForMetricAsync(Gateway, "fastgate_stream_ends_total{kind=\"sse\",reason=\"complete\"}", 1) >= 1);
    }
}
