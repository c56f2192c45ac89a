using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// first_byte_timeout, the stream deadline and the drain's end of a stream, fired by calling the
/// heartbeat or the registry directly so nothing waits on a clock.
/// </summary>
public class StreamTimeoutTests
{
    private const string SseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

    private static string Chunk(string data) => $"{data.Length:x}\r\n{data}\r\n";

    [Fact]
    public async Task FirstByteTimeout_UpstreamSilent_504AndCounted()
    {
        var never = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = never.Task };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(routeKeys: "first_byte_timeout = \"1s\"\ntimeout = \"60s\""), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.FirstByte);

        connection.OnHeartbeat(long.MaxValue);

        var response = (await client.ReceiveAsync()).Single();
        Assert.StartsWith("HTTP/1.1 504 Gateway Timeout\r\n", response);
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.FirstByteTimeouts);
        never.SetResult();
    }

    [Fact]
    public async Task FirstByteTimeout_NotSet_RouteTimeoutArmed()
    {
        var never = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = never.Task };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.UpstreamResponse);
        never.SetResult();
    }

    [Fact]
    public async Task PlainResponse_BodyKeepsTheIdleTimeout()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc" };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.BodyIdle);
        Assert.Equal(0, gateway.Gateway.Metrics.Streams.Open(StreamKind.Sse) + gateway.Gateway.Metrics.Streams.Open(StreamKind.Http));
    }

    [Fact]
    public async Task StreamingRoute_OtherContentType_IsAStreamWithTheStreamDeadline()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunk("{}\n") };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(routeKeys: "streaming = true"), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.StreamIdle);
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.Open(StreamKind.Http));

        // No event boundary to end at: idle, it is closed.
        connection.OnHeartbeat(long.MaxValue);
        Assert.True(await client.ClosedAsync());
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.Ends(StreamKind.Http, StreamEndReason.IdleTimeout));
        Assert.Equal(0, gateway.Gateway.Metrics.Streams.Open(StreamKind.Http));
    }

    [Fact]
    public async Task StreamIdle_SseAtEventBoundary_EndsWithTheLastChunk()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseHead + Chunk("id: 1\ndata: a\n\n") };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(routeKeys: "stream_idle_timeout = \"5s\""), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.StreamIdle);

        connection.OnHeartbeat(long.MaxValue);

        var text = await client.ReceiveTextAsync(t => t.EndsWith("0\r\n\r\n", StringComparison.Ordinal));
        Assert.EndsWith(Chunk("id: 1\ndata: a\n\n") + "0\r\n\r\n", text);
        Assert.True(await client.ClosedAsync());
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.Ends(StreamKind.Sse, StreamEndReason.IdleTimeout));
    }

    [Fact]
    public async Task StreamIdle_FiresWhileTheClientFlushWaits_SseStillEndsWithTheLastChunk()
    {
        // One event larger than the client pipe's pause threshold (1 MiB): the flush waits for a
        // client that reads nothing yet when the stream's deadline passes.
        var big = "data: " + new string('x', 1536 * 1024) + "\n\n";
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseHead + Chunk(big) };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(routeKeys: "stream_idle_timeout = \"5s\""), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.State == ExchangeState.FlushingResponseBody);

        connection.OnHeartbeat(long.MaxValue);
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.Send);

        var text = await client.ReceiveTextAsync(t => t.EndsWith("0\r\n\r\n", StringComparison.Ordinal));
        Assert.EndsWith(Chunk(big) + "0\r\n\r\n", text);
        Assert.True(await client.ClosedAsync());
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.Ends(StreamKind.Sse, StreamEndReason.IdleTimeout));
    }

    [Fact]
    public async Task StreamIdle_SseMidEvent_Closes()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseHead + Chunk("id: 1\ndata: a\n\nid: 2\ndata: b") };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(routeKeys: "stream_idle_timeout = \"5s\""), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.StreamIdle);

        connection.OnHeartbeat(long.MaxValue);

        var text = await client.ReceiveTextAsync(_ => false);
        Assert.DoesNotContain("0\r\n\r\n", text);
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.Ends(StreamKind.Sse, StreamEndReason.IdleTimeout));
    }

    [Fact]
    public async Task MaxStreamDuration_Passed_CountedAsMaxDuration()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseHead + Chunk("data: a\r\n\r\n") };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(routeKeys: "max_stream_duration = \"1s\""), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.StreamIdle);
        // The deadline is the earlier of the two, max_stream_duration (1 s) here: the gateway's own
        // heartbeat fires it.
        var text = await client.ReceiveTextAsync(t => t.EndsWith("0\r\n\r\n", StringComparison.Ordinal));
        Assert.EndsWith("0\r\n\r\n", text);
        await RetryPolicyTests.WaitUntilAsync(() => gateway.Gateway.Metrics.Streams.Ends(StreamKind.Sse, StreamEndReason.MaxDuration) == 1);
    }

    [Fact]
    public async Task EndStreams_SseAtEventBoundary_EndsCleanlyAndCountsDrain()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseHead + Chunk("id: 1\ndata: a\n\n") };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.StreamIdle);

        gateway.Gateway.Connections.EndAllStreams();

        var text = await client.ReceiveTextAsync(t => t.EndsWith("0\r\n\r\n", StringComparison.Ordinal));
        Assert.EndsWith(Chunk("id: 1\ndata: a\n\n") + "0\r\n\r\n", text);
        Assert.True(await client.ClosedAsync());
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.Ends(StreamKind.Sse, StreamEndReason.Drain));
    }

    [Fact]
    public async Task CompleteStream_CountedComplete()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseHead + Chunk("data: a\n\n") + "0\r\n\r\n" };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), origin);
        using var client = gateway.Connect();
        await client.SendAsync("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = (await client.ReceiveAsync()).Single();
        Assert.EndsWith(Chunk("data: a\n\n") + "0\r\n\r\n", response);
        await RetryPolicyTests.WaitUntilAsync(() => gateway.Gateway.Metrics.Streams.Ends(StreamKind.Sse, StreamEndReason.Complete) == 1);
        Assert.Equal(0, gateway.Gateway.Metrics.Streams.Open(StreamKind.Sse));
    }

    [Fact]
    public async Task EventStages_EachWholeEventReachesTheClientAtOnce_AndDrainEndsAtTheBoundary()
    {
        var seen = 0;
        var stage = new Stages.DelegateStage("events", Proxy.Stages.StagePhases.ResponseEvents)
        {
            ResponseEvent = (e, sse) =>
            {
                Interlocked.Increment(ref seen);
                return Proxy.Stages.BodyVerdict.Continue;
            },
        };
        // The upstream sends one whole event and the start of the next, then nothing: the whole
        // one must reach the client now, not wait for the stream to go on.
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseHead + Chunk("id: 1\ndata: a\n\nid: 2\nda") };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect(out var connection);
        await client.SendAsync("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
        var text = await client.ReceiveTextAsync(t => t.Contains("id: 1\ndata: a\n\n", StringComparison.Ordinal));
        Assert.DoesNotContain("id: 2", text);
        Assert.Equal(1, seen);
        await RetryPolicyTests.WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.StreamIdle);

        // The event stages hold a partial event back, so the client is at a boundary: a drain ends it now.
        gateway.Gateway.Connections.EndAllStreams();

        text = await client.ReceiveTextAsync(t => t.EndsWith("0\r\n\r\n", StringComparison.Ordinal));
        Assert.DoesNotContain("id: 2", text);
        Assert.True(await client.ClosedAsync());
        Assert.Equal(1, gateway.Gateway.Metrics.Streams.Ends(StreamKind.Sse, StreamEndReason.Drain));
    }
}
