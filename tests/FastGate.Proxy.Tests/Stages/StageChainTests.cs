using System.Collections.Concurrent;
using System.Text;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.Stages;

/// <summary>The stage chain as the HTTP/1.1 front runs it: order, local answers, rewrites, bodies, completion.</summary>
public class StageChainTests
{
    private const StagePhases All = StagePhases.RequestHead | StagePhases.UpstreamChosen | StagePhases.ResponseHead | StagePhases.Complete;

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
    public async Task Phases_RunInRouteOrder_AndCompleteOnce()
    {
        var calls = new ConcurrentQueue<string>();
        Stage Recorder(string name) => new DelegateStage(name, All)
        {
            RequestHead = _ => { calls.Enqueue($"{name}.head"); return new(StageOutcome.Continue); },
            UpstreamChosen = _ => { calls.Enqueue($"{name}.upstream"); return StageOutcome.Continue; },
            ResponseHead = _ => { calls.Enqueue($"{name}.response"); return StageOutcome.Continue; },
            Complete = e => calls.Enqueue($"{name}.complete:{e.Status}"),
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [Recorder("a"), Recorder("b")], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        await WaitFor(() => calls.Count == 8);
        Assert.Equal(
            ["a.head", "b.head", "a.upstream", "b.upstream", "a.response", "b.response", "a.complete:200", "b.complete:200"],
            calls.ToArray());
    }

    [Fact]
    public async Task RequestHead_Answers401WithHeaderAndBody_NothingGoesUpstream_ConnectionServesOn()
    {
        var stage = new DelegateStage("deny", StagePhases.RequestHead)
        {
            RequestHead = e =>
            {
                if (e.Request.Path.SequenceEqual("/open"u8))
                {
                    return new(StageOutcome.Continue);
                }
                e.LocalHeaders.Set("WWW-Authenticate"u8, "Bearer realm=\"fastgate\""u8);
                return new(e.AnswerJson(401, """{"error":"no key"}"""u8));
            },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\nGET /open HTTP/1.1\r\nHost: h\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        Assert.Equal(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"fastgate\"\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"error\":\"no key\"}",
            responses[0]);
        Assert.StartsWith("HTTP/1.1 200 OK", responses[1]);
        Assert.StartsWith("GET /open ", Assert.Single(origin.Requests));
    }

    [Fact]
    public async Task LocalAnswer_ToHead_HasNoBody_AndToHttp10_SaysKeepAlive()
    {
        var stage = new DelegateStage("deny", StagePhases.RequestHead)
        {
            RequestHead = e =>
            {
                e.LocalHeaders.Set("Retry-After"u8, "3"u8);
                return new(e.Answer(429, "slow down\n"u8, "text/plain"u8));
            },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var text = await client.ReceiveTextAsync(t => t.EndsWith("slow down\n", StringComparison.Ordinal));

        Assert.Equal(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"
            + "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\nslow down\n",
            text);
        Assert.Empty(origin.Requests);
    }

    [Fact]
    public async Task RequestHead_ThatWaits_IsAwaited_AndTheChainGoesOn()
    {
        var release = new TaskCompletionSource<StageOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var after = 0;
        var waits = new DelegateStage("waits", StagePhases.RequestHead) { RequestHead = _ => new(release.Task) };
        var next = new DelegateStage("next", StagePhases.RequestHead)
        {
            RequestHead = e => { Interlocked.Increment(ref after); e.UpstreamRequestHeaders.Set("x-after"u8, "1"u8); return new(StageOutcome.Continue); },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [waits, next], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        await Task.Delay(50);
        Assert.Equal(0, Volatile.Read(ref after));
        Assert.Empty(origin.Requests);
        release.SetResult(StageOutcome.Continue);
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.Equal("1", InMemoryOrigin.HeaderValue(Assert.Single(origin.Requests), "x-after"));
    }

    [Fact]
    public async Task StageThatThrows_Answers500_CompletesOnce_AndTheConnectionServesOn()
    {
        var completions = new ConcurrentQueue<int>();
        var stage = new DelegateStage("bad", StagePhases.RequestHead | StagePhases.Complete)
        {
            RequestHead = e => e.Request.Path.SequenceEqual("/boom"u8) ? throw new InvalidOperationException("boom") : new(StageOutcome.Continue),
            Complete = e => completions.Enqueue(e.Status),
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /boom HTTP/1.1\r\nHost: h\r\n\r\nGET /fine HTTP/1.1\r\nHost: h\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        Assert.StartsWith("HTTP/1.1 500 ", responses[0]);
        Assert.StartsWith("HTTP/1.1 200 OK", responses[1]);
        await WaitFor(() => completions.Count == 2);
        Assert.Equal([500, 200], completions.ToArray());
    }

    [Fact]
    public async Task Complete_RunsOnce_WhenTheClientLeavesMidResponse()
    {
        var completions = new ConcurrentQueue<int>();
        var stage = new DelegateStage("count", StagePhases.Complete) { Complete = e => completions.Enqueue(e.Status) };
        var hold = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = hold.Task };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        await WaitFor(() => !origin.Requests.IsEmpty);
        client.Dispose();
        hold.SetResult();

        await WaitFor(() => completions.Count >= 1);
        await Task.Delay(100);
        Assert.Single(completions);
    }

    [Fact]
    public async Task UpstreamRequest_HeadersSetAndRemoved_TargetAndHostRewritten()
    {
        var stage = new DelegateStage("rewrite", StagePhases.RequestHead)
        {
            RequestHead = e =>
            {
                e.UpstreamRequestHeaders.Remove("authorization"u8);
                e.UpstreamRequestHeaders.Set("x-user"u8, "alice"u8);
                e.SetUpstreamTarget("/internal/x?y=1"u8);
                e.SetUpstreamHost("backend.internal"u8);
                return new(StageOutcome.Continue);
            },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer secret\r\nX-User: mallory\r\n\r\n");
        await client.ReceiveAsync();

        var request = Assert.Single(origin.Requests);
        Assert.StartsWith("GET /internal/x?y=1 HTTP/1.1\r\n", request);
        Assert.Null(InMemoryOrigin.HeaderValue(request, "Authorization"));
        Assert.Equal("alice", InMemoryOrigin.HeaderValue(request, "x-user"));
        Assert.Equal("backend.internal", InMemoryOrigin.HeaderValue(request, "Host"));
        Assert.DoesNotContain("mallory", request);
    }

    [Fact]
    public void HeaderEdits_RefuseInjection()
    {
        var edits = new HeaderEdits();
        Assert.False(edits.Set("x-a"u8, "1\r\nx-evil: 2"u8));
        Assert.False(edits.Add("x a"u8, "1"u8));
        Assert.False(edits.Set("x-a"u8, "\0"u8));
        Assert.Equal(0, edits.Count);
    }

    [Fact]
    public async Task ResponseHeaders_SetOnTheClientsResponse_ReplaceTheUpstreams()
    {
        var stage = new DelegateStage("response", StagePhases.ResponseHead)
        {
            ResponseHead = e =>
            {
                e.ResponseHeaders.Set("x-served-by"u8, "fastgate"u8);
                e.ResponseHeaders.Remove("x-internal"u8);
                return StageOutcome.Continue;
            },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => "HTTP/1.1 200 OK\r\nX-Internal: 1\r\nX-Served-By: origin\r\nContent-Length: 2\r\n\r\nok",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Null(InMemoryOrigin.HeaderValue(response, "X-Internal"));
        Assert.Equal("fastgate", InMemoryOrigin.HeaderValue(response, "X-Served-By"));
        Assert.EndsWith("\r\n\r\nok", response);
    }

    [Fact]
    public async Task RequestBody_ReadWholeAndReplaced_GoesUpstreamWithItsNewLength()
    {
        string? seen = null;
        var stage = new DelegateStage("body", StagePhases.RequestBody)
        {
            RequestBody = e =>
            {
                seen = Encoding.ASCII.GetString(e.RequestBody);
                e.Replacement.Write("""{"model":"small"}"""u8);
                return BodyVerdict.Replace;
            },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.Equal("hello world", seen);
        var request = Assert.Single(origin.Requests);
        Assert.Equal("17", InMemoryOrigin.HeaderValue(request, "Content-Length"));
        Assert.Null(InMemoryOrigin.HeaderValue(request, "Transfer-Encoding"));
        Assert.EndsWith("\r\n\r\n{\"model\":\"small\"}", request);
    }

    [Fact]
    public async Task RequestBody_WithExpectContinue_IsAskedForThenReadWhole()
    {
        string? seen = null;
        var stage = new DelegateStage("body", StagePhases.RequestBody)
        {
            RequestBody = e => { seen = Encoding.ASCII.GetString(e.RequestBody); return BodyVerdict.Continue; },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        await client.ReceiveTextAsync(t => t.StartsWith("HTTP/1.1 100 Continue\r\n\r\n", StringComparison.Ordinal));
        Assert.Empty(origin.Requests);
        await client.SendAsync("hello");
        var text = await client.ReceiveTextAsync(t => t.EndsWith("\r\n\r\nok", StringComparison.Ordinal));

        Assert.Contains("HTTP/1.1 200 OK", text);
        Assert.Equal("hello", seen);
        Assert.EndsWith("\r\n\r\nhello", Assert.Single(origin.Requests));
    }

    [Fact]
    public async Task RequestBody_OverTheStagesLimit_Is413_BeforeAnythingGoesUpstream()
    {
        var stage = new DelegateStage("body", StagePhases.RequestBody) { BodyLimit = 4 };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 413 ", response);
        Assert.Empty(origin.Requests);
    }

    [Fact]
    public async Task ResponseBody_PassesThroughStage_HeldBackTailOfferedAgain_ClientGetsItChunked()
    {
        var calls = 0;
        var stage = new DelegateStage("upper", StagePhases.ResponseBody)
        {
            ChangesLength = true,
            ResponseBody = (e, data, end) =>
            {
                calls++;
                // Upper-cases whole words; an unfinished word at the end waits for the rest.
                var cut = end ? data.Length : data.LastIndexOf((byte)' ') + 1;
                foreach (var b in data[..cut])
                {
                    e.Replacement.GetSpan(1)[0] = (byte)char.ToUpperInvariant((char)b);
                    e.Replacement.Advance(1);
                }
                return BodyVerdict.ReplaceAndHold(data.Length - cut);
            },
        };
        var words = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"word{i}"));
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = true,
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Length: {words.Length}\r\n\r\n{words}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal("chunked", InMemoryOrigin.HeaderValue(response, "Transfer-Encoding"));
        Assert.Null(InMemoryOrigin.HeaderValue(response, "Content-Length"));
        Assert.Equal(words.ToUpperInvariant(), ChunkedText.Dechunk(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]));
        Assert.True(calls > 2, $"the body came in {calls} pieces");
    }

    [Fact]
    public async Task ResponseBody_AnObservingStageBeforeAReplacingOne_SeesEveryByteOnce()
    {
        long seen = 0;
        var observer = new DelegateStage("count", StagePhases.ResponseBody)
        {
            ResponseBody = (e, data, end) => { seen += data.Length; return BodyVerdict.Continue; },
        };
        var upper = new DelegateStage("upper", StagePhases.ResponseBody)
        {
            ChangesLength = true,
            ResponseBody = (e, data, end) =>
            {
                var cut = end ? data.Length : data.LastIndexOf((byte)' ') + 1;
                foreach (var b in data[..cut])
                {
                    e.Replacement.GetSpan(1)[0] = (byte)char.ToUpperInvariant((char)b);
                    e.Replacement.Advance(1);
                }
                return BodyVerdict.ReplaceAndHold(data.Length - cut);
            },
        };
        var words = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"word{i}"));
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = true,
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Length: {words.Length}\r\n\r\n{words}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [observer, upper], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal(words.ToUpperInvariant(), ChunkedText.Dechunk(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]));
        Assert.Equal(words.Length, seen);
    }

    [Fact]
    public async Task ResponseBody_Terminate_CutsTheClientsResponseShort()
    {
        var stage = new DelegateStage("stop", StagePhases.ResponseBody)
        {
            ResponseBody = (e, data, end) => data.IndexOf("secret"u8) >= 0 ? BodyVerdict.Terminate : BodyVerdict.Continue,
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nsecret!!!!",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var text = await client.ReceiveTextAsync(_ => false);

        Assert.StartsWith("HTTP/1.1 200 OK", text);
        Assert.DoesNotContain("secret", text);
    }

    [Fact]
    public async Task UpstreamChosen_MovesTheExchangeToAnotherCluster()
    {
        var stage = new DelegateStage("choose", StagePhases.UpstreamChosen)
        {
            UpstreamChosen = e =>
            {
                e.Cluster = e.Snapshot.Clusters["b"];
                return StageOutcome.Continue;
            },
        };
        var a = new InMemoryOrigin("127.0.0.1:9001");
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb" };
        using var gateway = new TestGateway(TwoClusterConfig(), _ => [stage], a, b);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.EndsWith("\r\n\r\nb", response);
        Assert.Empty(a.Requests);
        Assert.Single(b.Requests);
    }

    [Fact]
    public async Task ResponseHead_Retry_FallsBackToAnotherCluster_WithTheBodyInHand()
    {
        var body = new DelegateStage("keep-body", StagePhases.RequestBody);
        var fallback = new DelegateStage("fallback", StagePhases.ResponseHead)
        {
            ResponseHead = e =>
            {
                if (e.Response!.StatusCode == 503 && e.Attempt == 0)
                {
                    e.Cluster = e.Snapshot.Clusters["b"];
                    return StageOutcome.Retry;
                }
                return StageOutcome.Continue;
            },
        };
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy" };
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb" };
        using var gateway = new TestGateway(TwoClusterConfig(), _ => [body, fallback], a, b);
        using var client = gateway.Connect();

        await client.SendAsync("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.EndsWith("\r\n\r\nb", response);
        Assert.EndsWith("\r\n\r\nhello", Assert.Single(a.Requests));
        Assert.EndsWith("\r\n\r\nhello", Assert.Single(b.Requests));
    }

    [Fact]
    public async Task Slots_AreClearedBetweenExchanges()
    {
        var seen = new ConcurrentQueue<long>();
        var stage = new DelegateStage("slots", StagePhases.RequestHead)
        {
            Slots = 1,
            RequestHead = e =>
            {
                seen.Enqueue(e.Values[0]);
                e.Values[0] = 42;
                return new(StageOutcome.Continue);
            },
        };
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
        await client.ReceiveAsync(2);

        Assert.Equal([0L, 0L], seen.ToArray());
    }

    [Fact]
    public async Task Reload_InFlightExchangeFinishesOnItsChain_TheNextUsesTheNewOne()
    {
        var generation = 0;
        var seen = new ConcurrentQueue<string>();
        IReadOnlyList<Stage> Build(FastGate.Proxy.Config.RouteModel route)
        {
            var built = Interlocked.Increment(ref generation);
            return [new DelegateStage($"gen{built}", StagePhases.RequestHead | StagePhases.Complete)
            {
                RequestHead = _ => { seen.Enqueue($"gen{built}.head"); return new(StageOutcome.Continue); },
                Complete = _ => seen.Enqueue($"gen{built}.complete"),
            }];
        }
        var hold = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = hold.Task };
        var config = TestGateway.OneRouteConfig();
        using var gateway = new TestGateway(config, Build, origin);
        using var first = gateway.Connect();

        await first.SendAsync("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
        await WaitFor(() => !origin.Requests.IsEmpty);
        Assert.True(gateway.Reload(config).Success);
        origin.Hold = null;
        hold.SetResult();
        await first.ReceiveAsync();
        using var second = gateway.Connect();
        await second.SendAsync("GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
        await second.ReceiveAsync();

        await WaitFor(() => seen.Count == 4);
        Assert.Equal(["gen1.head", "gen1.complete", "gen2.head", "gen2.complete"], seen.ToArray());
    }

    private const string EventStream =
        "data: {\"delta\":\"Hel\"}\n\n"
        + ": keep-alive\n\n"
        + "event: usage\ndata: {\"tokens\":7}\n\n"
        + "data: [DONE]\n\n";

    private static InMemoryOrigin EventOrigin(string contentType = "text/event-stream") => new("127.0.0.1:9001")
    {
        Trickle = true,
        Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nContent-Length: {EventStream.Length}\r\n\r\n{EventStream}",
    };

    [Fact]
    public async Task ResponseEvents_WholeEventsReachTheStage_TheClientGetsTheStreamUnchanged()
    {
        var seen = new List<string>();
        var stage = new DelegateStage("events", StagePhases.ResponseEvents)
        {
            ResponseEvent = (e, sse) =>
            {
                seen.Add(sse.IsCommentOnly ? "(comment)" : $"{Encoding.ASCII.GetString(sse.EventType)}|{Encoding.ASCII.GetString(sse.Data)}");
                return BodyVerdict.Continue;
            },
        };
        var origin = EventOrigin("text/event-stream; charset=utf-8");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal(["|{\"delta\":\"Hel\"}", "(comment)", "usage|{\"tokens\":7}", "|[DONE]"], seen);
        Assert.Equal(EventStream, ChunkedText.Dechunk(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]));
    }

    [Fact]
    public async Task ResponseEvents_Replaced_TheClientGetsTheReplacement()
    {
        var stage = new DelegateStage("strip-usage", StagePhases.ResponseEvents)
        {
            // Drops the usage event, as a gateway that asked for usage the client did not.
            ResponseEvent = (e, sse) => sse.EventType.SequenceEqual("usage"u8) ? BodyVerdict.Replace : BodyVerdict.Continue,
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], EventOrigin());
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        var body = ChunkedText.Dechunk(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.Equal(EventStream.Replace("event: usage\ndata: {\"tokens\":7}\n\n", ""), body);
    }

    [Fact]
    public async Task ResponseEvents_NotAnEventStream_KeepsThePlainPath()
    {
        var calls = 0;
        var stage = new DelegateStage("events", StagePhases.ResponseEvents) { ResponseEvent = (e, sse) => { calls++; return BodyVerdict.Continue; } };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [stage], EventOrigin("text/plain"));
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal(0, calls);
        Assert.Equal(EventStream.Length.ToString(), InMemoryOrigin.HeaderValue(response, "Content-Length"));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
