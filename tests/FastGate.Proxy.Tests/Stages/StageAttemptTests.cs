using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using FastGate.Core.Sse;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.Stages;

/// <summary>
/// What a stage that steers attempts gets from the front: a body per attempt, the upstream-failed
/// phase, the response-end hook, drains after the client left, and when the client got its first byte.
/// </summary>
public class StageAttemptTests
{
    private static string TwoClusterConfig() => $"""
        [admin]
        listen = "127.0.0.1:{FreePort.Next()}"
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "127.0.0.1:{FreePort.Next()}"
        [[route]]
        name = "rest"
        path_prefix = "/"
        cluster = "a"
        [cluster.a]
        endpoints = ["127.0.0.1:9001"]
        [cluster.b]
        endpoints = ["127.0.0.1:9002"]
        """;

    [Fact]
    public async Task UpstreamBody_EachAttemptSendsItsOwnBody_TheClientBodyStaysForTheNext()
    {
        var stages = new Stage[]
        {
            new DelegateStage("body", StagePhases.RequestBody),
            new DelegateStage("translate", StagePhases.UpstreamChosen | StagePhases.ResponseHead)
            {
                UpstreamChosen = e =>
                {
                    e.UpstreamBody.Clear();
                    e.UpstreamBody.Write(Encoding.ASCII.GetBytes($"attempt {e.Attempt}: "));
                    e.UpstreamBody.Write(e.RequestBody);
                    return StageOutcome.Continue;
                },
                ResponseHead = e =>
                {
                    if (e.Response!.StatusCode == 429)
                    {
                        e.Cluster = e.Snapshot.Clusters["b"];
                        return StageOutcome.Retry;
                    }
                    return StageOutcome.Continue;
                },
            },
        };
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\n\r\nbusy" };
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb" };
        using var gateway = new TestGateway(TwoClusterConfig(), _ => stages, a, b);
        using var client = gateway.Connect();

        await client.SendAsync("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.EndsWith("\r\n\r\nb", response);
        var first = Assert.Single(a.Requests);
        var second = Assert.Single(b.Requests);
        Assert.EndsWith("\r\n\r\nattempt 0: hello", first);
        Assert.Equal("16", InMemoryOrigin.HeaderValue(first, "Content-Length"));
        Assert.EndsWith("\r\n\r\nattempt 1: hello", second);
        Assert.Equal("16", InMemoryOrigin.HeaderValue(second, "Content-Length"));
    }

    [Fact]
    public async Task UpstreamFailed_Retry_SendsTheRequestToTheClusterTheStageChose()
    {
        var failures = new ConcurrentQueue<int>();
        var stages = new Stage[]
        {
            new DelegateStage("body", StagePhases.RequestBody),
            new FailedStage(failures, e =>
            {
                e.Cluster = e.Snapshot.Clusters["b"];
                return StageOutcome.Retry;
            }),
        };
        var a = new InMemoryOrigin("127.0.0.1:9001") { RefuseConnects = true };
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb" };
        using var gateway = new TestGateway(TwoClusterConfig(), _ => stages, a, b);
        using var client = gateway.Connect();

        await client.SendAsync("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.EndsWith("\r\n\r\nhello", Assert.Single(b.Requests));
        Assert.Equal([502], failures.ToArray());
    }

    [Fact]
    public async Task UpstreamFailed_Answered_TheClientGetsTheStagesAnswer()
    {
        var failures = new ConcurrentQueue<int>();
        var stage = new FailedStage(failures, e => e.AnswerJson(503, """{"error":"all targets failed"}"""u8));
        var a = new InMemoryOrigin("127.0.0.1:9001") { RefuseConnects = true };
        using var gateway = new TestGateway(TwoClusterConfig(), _ => [stage], a);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 503 ", response);
        Assert.EndsWith("{\"error\":\"all targets failed\"}", response);
    }

    [Fact]
    public async Task UpstreamFailed_Continue_LeavesTheClientTheProxysAnswer()
    {
        var failures = new ConcurrentQueue<int>();
        var stage = new FailedStage(failures, _ => StageOutcome.Continue);
        var a = new InMemoryOrigin("127.0.0.1:9001") { RefuseConnects = true };
        using var gateway = new TestGateway(TwoClusterConfig(), _ => [stage], a);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 502 ", response);
        Assert.Equal([502], failures.ToArray());
    }

    private const string Events = "data: one\n\ndata: two\n\ndata: three\n\n";

    [Fact]
    public async Task ResponseEnd_WholeStream_TheStagesLastPieceComesBeforeTheEnd()
    {
        var stage = new EndStage();
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {Events.Length}\r\n\r\n{Events}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal(Events + "data: [END whole]\n\n", ChunkedText.Dechunk(Body(response)));
    }

    [Fact]
    public async Task ResponseEnd_UnfinishedLastEvent_IsDroppedForTheStagesPiece()
    {
        var stage = new EndStage();
        const string body = Events + "data: unfinished";
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {body.Length}\r\n\r\n{body}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal(Events + "data: [END whole]\n\n", ChunkedText.Dechunk(Body(response)));
    }

    [Fact]
    public async Task ResponseEnd_StreamCut_TheClientGetsTheStagesErrorEvent_ThenAClose()
    {
        var stage = new EndStage();
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            CloseAfterResponse = true,
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000\r\n\r\n{Events}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = await client.ReceiveTextAsync(t => t.Contains("data: cut\n\n", StringComparison.Ordinal));

        Assert.Equal(Events + "event: error\ndata: cut\n\n", ChunkedText.Dechunk(Body(response)));
        Assert.True(await client.ClosedAsync());
        // Closed without the body's last chunk: a broken response, never a finished one.
        Assert.DoesNotContain("\r\n0\r\n\r\n", response);
    }

    [Fact]
    public async Task Drain_ClientLeftMidStream_TheStageSeesEveryEvent_AndCompletionSays499()
    {
        var pause = new TaskCompletionSource();
        var stage = new DrainStage(admit: true);
        var rest = string.Concat(Enumerable.Range(0, 40).Select(i => $"data: {i}\n\n"));
        var body = "data: first\n\n" + InMemoryOrigin.Pause + rest;
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = true,
            PauseHold = pause.Task,
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {body.Length - 1}\r\n\r\n{body}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        await client.ReceiveTextAsync(t => t.Contains("data: first", StringComparison.Ordinal));
        client.Dispose();
        pause.SetResult();

        await WaitFor(() => stage.Completed.Count == 1);
        Assert.Equal(499, Assert.Single(stage.Completed));
        Assert.Equal(41, stage.Events);
        Assert.Equal(1, stage.Drains);
        Assert.Equal(0, stage.Open);
    }

    [Fact]
    public async Task Drain_Refused_TheUpstreamIsLeft_AsWithoutTheStage()
    {
        var pause = new TaskCompletionSource();
        var stage = new DrainStage(admit: false);
        var rest = string.Concat(Enumerable.Range(0, 200).Select(i => $"data: {i}\n\n"));
        var body = "data: first\n\n" + InMemoryOrigin.Pause + rest;
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = true,
            PauseHold = pause.Task,
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {body.Length - 1}\r\n\r\n{body}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        await client.ReceiveTextAsync(t => t.Contains("data: first", StringComparison.Ordinal));
        client.Dispose();
        pause.SetResult();

        await WaitFor(() => stage.Completed.Count == 1);
        Assert.True(stage.Events < 201);
        Assert.Equal(0, stage.Drains);
    }

    [Fact]
    public async Task HeldHead_TheStageChoosesTheStatusOnceItReadTheBody()
    {
        var stage = new DelegateStage("judge", StagePhases.ResponseHead | StagePhases.ResponseBody)
        {
            ChangesLength = true,
            ResponseHead = e =>
            {
                e.HoldResponseHead();
                return StageOutcome.Continue;
            },
            ResponseBody = (e, data, end) =>
            {
                if (!end)
                {
                    return BodyVerdict.Hold(data.Length);
                }
                Assert.True(e.SetResponseStatus(502));
                e.Replacement.Write("broken: "u8);
                e.Replacement.Write(data);
                return BodyVerdict.Replace;
            },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Trickle = true, Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n0123456789012345678901234567890123456789" };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 502 Bad Gateway\r\n", response);
        Assert.Equal("broken: 0123456789012345678901234567890123456789", ChunkedText.Dechunk(Body(response)));
    }

    [Fact]
    public async Task FirstByteSentTimestamp_IsSetWhenTheResponseWentToTheClient()
    {
        var seen = new ConcurrentQueue<(long Start, long FirstByte)>();
        var stage = new DelegateStage("ttfb", StagePhases.Complete) { Complete = e => seen.Enqueue((e.StartTimestamp, e.FirstByteSentTimestamp)) };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        await client.ReceiveAsync();

        await WaitFor(() => seen.Count == 1);
        Assert.True(seen.TryPeek(out var times));
        Assert.True(times.FirstByte >= times.Start && times.FirstByte <= Stopwatch.GetTimestamp());
    }

    private sealed class FailedStage(ConcurrentQueue<int> failures, Func<Exchange, StageOutcome> decide) : Stage
    {
        public override string Name => "failed";
        public override StagePhases Phases => StagePhases.UpstreamFailed;

        public override StageOutcome OnUpstreamFailed(Exchange exchange, int status)
        {
            failures.Enqueue(status);
            return decide(exchange);
        }
    }

    private sealed class EndStage : Stage
    {
        public override string Name => "end";
        public override StagePhases Phases => StagePhases.ResponseEvents;
        public override bool ObservesResponseEnd => true;

        public override BodyVerdict OnResponseEnd(Exchange exchange, bool complete)
        {
            exchange.Replacement.Write(complete ? "data: [END whole]\n\n"u8 : "event: error\ndata: cut\n\n"u8);
            return BodyVerdict.Replace;
        }
    }

    private sealed class DrainStage(bool admit) : Stage
    {
        public int Events;
        public int Drains;
        public int Open;
        public ConcurrentQueue<int> Completed { get; } = new();

        public override string Name => "drain";
        public override StagePhases Phases => StagePhases.ResponseEvents | StagePhases.Complete;
        public override bool ReadsToEndAfterClientLeft => true;

        public override BodyVerdict OnResponseEvent(Exchange exchange, SseEvent sseEvent)
        {
            Interlocked.Increment(ref Events);
            return BodyVerdict.Continue;
        }

        public override bool TryBeginDrain(Exchange exchange, out TimeSpan timeout)
        {
            timeout = TimeSpan.FromSeconds(30);
            if (!admit)
            {
                return false;
            }
            Interlocked.Increment(ref Drains);
            Interlocked.Increment(ref Open);
            return true;
        }

        public override void EndDrain(Exchange exchange) => Interlocked.Decrement(ref Open);

        public override void OnComplete(Exchange exchange) => Completed.Enqueue(exchange.Status);
    }

    private static string Body(string response) => response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
