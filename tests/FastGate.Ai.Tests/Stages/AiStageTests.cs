using System.Text;
using FastGate.Ai.Metering;
using FastGate.Ai.Stages;
using FastGate.Ai.Providers;
using FastGate.Proxy.Config;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Ai.Tests.Stages;

/// <summary>
/// The AI stage through the HTTP/1.1 front, with translators of our own shapes (FakeTranslators):
/// routing by model, per-attempt translation, fallback, errors in the client's shape, streams,
/// drains and the one usage record per exchange.
/// </summary>
public sealed class AiStageTests : IDisposable
{
    private readonly RecordingSink _sink = new();
    private TestGateway? _gateway;

    public void Dispose() => _gateway?.Dispose();

    private const string Price = "{ input = 1000000, cached_input = 500000, output = 2000000 }";

    private static string Config(string drains = "max_drains = 4") => $"""
        [admin]
        listen = "127.0.0.1:{FreePort.Next()}"
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "127.0.0.1:{FreePort.Next()}"
        [[route]]
        name = "llm"
        path_prefix = "/v1/"
        ai = true
        [ai]
        drain_timeout = "10s"
        {drains}
        [provider.pa]
        kind = "anthropic"
        base_url = "http://127.0.0.1:9001/base"
        api_key = ["key-1", "key-2"]
        [provider.pb]
        kind = "anthropic"
        base_url = "http://127.0.0.1:9002"
        api_key = "key-b"
        [provider.nd]
        kind = "ollama"
        base_url = "http://127.0.0.1:9003"
        [[model]]
        name = "m"
        targets = ["pa/target-a", "pb/target-b"]
        price = {Price}
        [[model]]
        name = "nd-*"
        targets = ["nd/*"]
        """;

    private InMemoryClient Start(params InMemoryOrigin[] origins) => Start(Config(), origins);

    private InMemoryClient Start(string text, params InMemoryOrigin[] origins)
    {
        var load = ConfigLoader.LoadFromText(text, "test.toml");
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        var codecs = new AiCodecs(
            [new FakeAdapter(ProviderKind.Anthropic), new FakeAdapter(ProviderKind.Ollama, StreamFraming.NdJson)],
            [new FakeFront(ClientApi.OpenAiChat), new FakeFront(ClientApi.AnthropicMessages)]);
        var services = new AiServices(_sink, new FixedEstimator(), codecs);
        _gateway = new TestGateway(text, route => services.StageFor(route, load.Model!) is { } stage ? [stage] : [], origins);
        return _gateway.Connect();
    }

    private static string Post(string body, string path = "/v1/chat/completions") =>
        $"POST {path} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer client-secret\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    private static string Body(string response) => response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];

    private async Task<UsageRecord> OneRecord()
    {
        for (var i = 0; i < 500 && _sink.Records.IsEmpty; i++)
        {
            await Task.Delay(10);
        }
        await Task.Delay(50);
        return Assert.Single(_sink.Records);
    }

    [Fact]
    public async Task Answer_IsTranslatedForTheTarget_AndBack_WithOneRecord()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 23\r\n\r\n{\"usage\":1,\"text\":\"hi\"}" };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.Equal("application/json", InMemoryOrigin.HeaderValue(response, "Content-Type"));
        Assert.Equal("{\"front\":{\"usage\":1,\"text\":\"hi\"},\"in\":3,\"out\":5}", Dechunk(Body(response)));
        var request = Assert.Single(a.Requests);
        Assert.StartsWith("POST /base/fake/target-a HTTP/1.1", request);
        Assert.Equal("127.0.0.1:9001", InMemoryOrigin.HeaderValue(request, "Host"));
        Assert.Equal("key-1", InMemoryOrigin.HeaderValue(request, "x-fake-key"));
        Assert.Equal("application/json", InMemoryOrigin.HeaderValue(request, "Content-Type"));
        Assert.Null(InMemoryOrigin.HeaderValue(request, "Authorization"));
        Assert.EndsWith("\r\n\r\n{\"model\":\"target-a\",\"pivot\":{\"model\":\"m\"}}", request);

        var record = await OneRecord();
        Assert.Equal(("llm", "pa", "m", "target-a", 200, 1), (record.Route, record.Provider, record.ModelAsked, record.ModelUsed, record.Status, record.Attempts));
        Assert.True(record.Usage.Reported);
        Assert.Equal((3, 5, 1), (record.Usage.Input, record.Usage.Output, record.Usage.CachedInput));
        // 2 input at 1 USD/token, 1 cached at 0.5, 5 output at 2.
        Assert.Equal(12.5m, record.CostUsd);
        Assert.True(record.TimeToFirstTokenMs > 0);
    }

    [Fact]
    public async Task MessagesClient_TheAdapterIsAskedForThePivotsApi()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\"}", "/v1/messages"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.StartsWith("POST /base/fake/target-a ", Assert.Single(a.Requests));
        Assert.Equal(ClientApi.AnthropicMessages, (await OneRecord()).Api);
    }

    [Fact]
    public async Task FrontMountedUnderAPrefix_StripPrefixIsTakenOffBeforeThePath()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" };
        using var client = Start(Config().Replace("path_prefix = \"/v1/\"", "path_prefix = \"/llm/v1/\"\nstrip_prefix = \"/llm\""), a);

        await client.SendAsync(Post("{\"model\":\"m\"}", "/llm/v1/chat/completions"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.StartsWith("POST /base/fake/target-a ", Assert.Single(a.Requests));
    }

    [Fact]
    public async Task Keys_AreTakenInTurn()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\"}") + Post("{\"model\":\"m\"}"));
        await client.ReceiveAsync(2);

        Assert.Equal(["key-1", "key-2"], a.Requests.Select(r => InMemoryOrigin.HeaderValue(r, "x-fake-key")));
    }

    [Theory]
    [InlineData("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nslow", 429)]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", 503)]
    public async Task Fallback_On429Or5xx_TheNextTargetAnswers(string failure, int status)
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => failure };
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"usage\":1}" };
        using var client = Start(a, b);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.EndsWith("{\"model\":\"target-b\",\"pivot\":{\"model\":\"m\"}}", Assert.Single(b.Requests));
        Assert.Equal("key-b", InMemoryOrigin.HeaderValue(b.Requests.Single(), "x-fake-key"));
        Assert.Equal([$"llm:pa->pb:{status}"], _sink.Fallbacks);
        var record = await OneRecord();
        Assert.Equal(("pb", "target-b", 2), (record.Provider, record.ModelUsed, record.Attempts));
    }

    [Fact]
    public async Task Fallback_OnConnectFailure_TheNextTargetAnswers()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { RefuseConnects = true };
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" };
        using var client = Start(a, b);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.Single(b.Requests);
        Assert.Equal(["llm:pa->pb:502"], _sink.Fallbacks);
        Assert.Contains("pa/target-a:0", _sink.Errors);
    }

    [Fact]
    public async Task LastTargetFails_TheClientGetsTheProvidersErrorInItsShape()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom" };
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nboom2" };
        using var client = Start(a, b);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 500 ", response);
        Assert.Equal("{\"error\":{\"type\":\"api_error\",\"message\":\"upstream said: boom2\"}}", Dechunk(Body(response)));
        var record = await OneRecord();
        Assert.Equal((500, 2), (record.Status, record.Attempts));
    }

    [Fact]
    public async Task GarbageAnswer_Is502InTheClientsShape()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ngarbage" };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 502 ", response);
        Assert.Equal("{\"error\":{\"type\":\"api_error\",\"message\":\"garbage\"}}", Dechunk(Body(response)));
        Assert.Equal(502, (await OneRecord()).Status);
    }

    [Fact]
    public async Task AnswerCut_Is502InTheClientsShape_NotAClosedConnection()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { CloseAfterResponse = true, Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"usage\":" };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 502 ", response);
        Assert.Contains("closed its answer before its end", response);
        Assert.Equal(502, (await OneRecord()).Status);
    }

    [Fact]
    public async Task NoTargetReachable_TheClientGetsAnErrorInItsShape_NotAHang()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { RefuseConnects = true };
        var b = new InMemoryOrigin("127.0.0.1:9002") { RefuseConnects = true };
        using var client = Start(a, b);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 502 ", response);
        Assert.Contains("\"type\":\"api_error\"", response);
        Assert.Contains("could not be reached", response);
    }

    [Fact]
    public async Task UnknownModel_Is404InTheClientsShape_AndRecorded()
    {
        using var client = Start();

        await client.SendAsync(Post("{\"model\":\"nope\"}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 404 ", response);
        Assert.Contains("\"type\":\"not_found_error\"", response);
        var record = await OneRecord();
        Assert.Equal(("", "nope", 404, 0), (record.Provider, record.ModelAsked, record.Status, record.Attempts));
    }

    [Fact]
    public async Task InvalidJson_Is400InTheClientsShape()
    {
        using var client = Start();

        await client.SendAsync(Post("{\"model\":"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.StartsWith("HTTP/1.1 400 ", response);
        Assert.Contains("invalid_request_error", response);
    }

    [Fact]
    public async Task Models_AreListedFromTheTable_UnknownPathsAre404()
    {
        using var client = Start();

        await client.SendAsync("GET /v1/models HTTP/1.1\r\nHost: gw\r\n\r\nGET /v1/nothing HTTP/1.1\r\nHost: gw\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        Assert.Equal("{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\",\"created\":0,\"owned_by\":\"pa\"}]}", Body(responses[0]));
        Assert.StartsWith("HTTP/1.1 404 ", responses[1]);
        Assert.Contains("\"code\":\"not_found\"", responses[1]);
    }

    private const string Stream = "data: tok\n\ndata: tok\n\ndata: tok\n\ndata: end\n\n";

    private static string SseResponse(string body, int? length = null) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {length ?? body.Length}\r\n\r\n{body}";

    [Fact]
    public async Task Stream_IsTranslatedEventByEvent()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Trickle = true, Respond = _ => SseResponse(Stream) };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\",\"stream\":true}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal("text/event-stream", InMemoryOrigin.HeaderValue(response, "Content-Type"));
        Assert.Equal(
            "data: {\"c\":\"tok\"}\n\ndata: {\"c\":\"tok\"}\n\ndata: {\"c\":\"tok\"}\n\ndata: {\"usage\":3}\n\ndata: [DONE]\n\n",
            Dechunk(Body(response)));
        Assert.StartsWith("POST /base/fake/target-a?stream=1 ", Assert.Single(a.Requests));
        var record = await OneRecord();
        Assert.True(record.Stream);
        Assert.Equal((2, 3, true), (record.Usage.Input, record.Usage.Output, record.Usage.Reported));
    }

    [Fact]
    public async Task Stream_Cut_EndsWithTheErrorEvent_NeverAsIfFinished()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { CloseAfterResponse = true, Respond = _ => SseResponse("data: tok\n\n", 500) };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\",\"stream\":true}"));
        var response = await client.ReceiveTextAsync(t => t.Contains("api_error", StringComparison.Ordinal));

        Assert.Equal("data: {\"c\":\"tok\"}\n\ndata: {\"error\":\"api_error\"}\n\n", Dechunk(Body(response)));
        Assert.True(await client.ClosedAsync());
        Assert.DoesNotContain("\r\n0\r\n\r\n", response);
        var record = await OneRecord();
        Assert.Equal(502, record.Status);
    }

    [Fact]
    public async Task Stream_Garbage_EndsWithTheErrorEvent()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => SseResponse("data: tok\n\ndata: <html>\n\ndata: tok\n\n") };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\",\"stream\":true}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal("data: {\"c\":\"tok\"}\n\ndata: {\"error\":\"api_error\"}\n\n", Dechunk(Body(response)));
    }

    [Fact]
    public async Task NdJsonStream_IsTranslatedLineByLine_AcrossReads()
    {
        const string lines = "{\"tok\":1}\n{\"tok\":2}\n{\"done\":true}\n";
        var nd = new InMemoryOrigin("127.0.0.1:9003")
        {
            Trickle = true,
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: {lines.Length}\r\n\r\n{lines}",
        };
        using var client = Start(nd);

        await client.SendAsync(Post("{\"model\":\"nd-llama\",\"stream\":true}"));
        var response = Assert.Single(await client.ReceiveAsync());

        Assert.Equal("text/event-stream", InMemoryOrigin.HeaderValue(response, "Content-Type"));
        Assert.Equal("data: {\"c\":\"tok\"}\n\ndata: {\"c\":\"tok\"}\n\ndata: {\"usage\":2}\n\ndata: [DONE]\n\n", Dechunk(Body(response)));
        Assert.StartsWith("POST /fake/nd-llama?stream=1 ", Assert.Single(nd.Requests));
    }

    [Fact]
    public async Task NoUsageReported_IsEstimated_AndMarked()
    {
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{\"content\":\"abc\"}" };
        using var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\"}"));
        await client.ReceiveAsync();

        var record = await OneRecord();
        Assert.False(record.Usage.Reported);
        Assert.Equal(100, record.Usage.Input);
        Assert.True(record.Usage.Output > 0);
    }

    [Fact]
    public async Task ClientLeftMidStream_TheStreamIsReadToItsEnd_AndItsUsageRecordedWith499()
    {
        var pause = new TaskCompletionSource();
        var rest = string.Concat(Enumerable.Repeat("data: tok\n\n", 30)) + "data: end\n\n";
        var body = "data: tok\n\n" + InMemoryOrigin.Pause + rest;
        var a = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = true,
            PauseHold = pause.Task,
            Respond = _ => SseResponse(body, body.Length - 1),
        };
        var client = Start(a);

        await client.SendAsync(Post("{\"model\":\"m\",\"stream\":true}"));
        await client.ReceiveTextAsync(t => t.Contains("tok", StringComparison.Ordinal));
        client.Dispose();
        pause.SetResult();

        var record = await OneRecord();
        Assert.Equal(499, record.Status);
        Assert.Equal(31, record.Usage.Output);
        Assert.True(record.Usage.Reported);
    }

    [Fact]
    public async Task ClientLeftMidStream_NoDrainLeft_TheUpstreamIsClosed_AndTheUsageEstimatedWith499()
    {
        var pause = new TaskCompletionSource();
        var rest = string.Concat(Enumerable.Repeat("data: tok\n\n", 300)) + "data: end\n\n";
        var body = "data: tok\n\n" + InMemoryOrigin.Pause + rest;
        var a = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = true,
            PauseHold = pause.Task,
            Respond = _ => SseResponse(body, body.Length - 1),
        };
        var client = Start(Config("max_drains = 0"), a);

        await client.SendAsync(Post("{\"model\":\"m\",\"stream\":true}"));
        await client.ReceiveTextAsync(t => t.Contains("tok", StringComparison.Ordinal));
        client.Dispose();
        pause.SetResult();

        var record = await OneRecord();
        Assert.Equal(499, record.Status);
        Assert.False(record.Usage.Reported);
        Assert.Equal(100, record.Usage.Input);
        Assert.InRange(record.Usage.Output, 3, 3 * 300);
    }

    private static string Dechunk(string body)
    {
        var result = new StringBuilder();
        var at = 0;
        while (true)
        {
            var line = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (line < 0)
            {
                // A body cut before its last chunk: what came whole.
                return result.ToString();
            }
            var size = Convert.ToInt32(body[at..line], 16);
            if (size == 0)
            {
                return result.ToString();
            }
            result.Append(body, line + 2, size);
            at = line + 2 + size + 2;
        }
    }
}
