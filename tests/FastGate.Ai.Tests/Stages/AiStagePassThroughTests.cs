using System.Text;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Ai.Stages;
using FastGate.Proxy.Config;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Ai.Tests.Stages;

/// <summary>
/// An OpenAI chat client on an OpenAI provider: the provider's events pass through, taken whole from
/// each read where they carry nothing to act on, one by one where they do (usage, error, [DONE],
/// other shapes). Whatever the reads, the client gets the same bytes and the record the same usage.
/// </summary>
public sealed class AiStagePassThroughTests : IDisposable
{
    private readonly RecordingSink _sink = new();
    private readonly InMemoryOrigin _origin = new("127.0.0.1:9011");
    private TestGateway? _gateway;

    public void Dispose() => _gateway?.Dispose();

    private InMemoryClient Start()
    {
        var text = $"""
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
            [provider.po]
            kind = "openai"
            base_url = "http://127.0.0.1:9011"
            api_key = "key-o"
            [[model]]
            name = "gpt"
            targets = ["po/gpt-x"]
            """;
        var load = ConfigLoader.LoadFromText(text, "test.toml");
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        var services = new AiServices(_sink, new FixedEstimator(), AiCodecs.Default);
        _gateway = new TestGateway(text, route => services.StageFor(route, load.Model!) is { } stage ? [stage] : [], [_origin]);
        return _gateway.Connect();
    }

    private static string Chunk(string delta, string finish = "null") =>
        $"data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}],\"usage\":null}}\n\n";

    private const string UsageChunk =
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[],"
        + "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18,\"prompt_tokens_details\":{\"cached_tokens\":3},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":2}}}\n\n";

    private const string Done = "data: [DONE]\n\n";

    private static readonly string Events =
        Chunk("{\"role\":\"assistant\",\"content\":\"\"}") + Chunk("{\"content\":\"Hel\"}") + Chunk("{\"content\":\"lo\"}")
        + Chunk("{}", "\"stop\"");

    private static string SseResponse(string body) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    private static string Post(bool includeUsage)
    {
        var body = includeUsage
            ? "{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
            : "{\"model\":\"gpt\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return $"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}";
    }

    /// <summary>Sends one streamed request on <paramref name="client"/>; the body the client got, de-chunked, and the exchange's record.</summary>
    private async Task<(string Body, UsageRecord Record)> Exchange(InMemoryClient client, bool includeUsage)
    {
        var before = _sink.Records.Count;
        await client.SendAsync(Post(includeUsage));
        var response = await client.ReceiveTextAsync(t => t.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal));
        for (var i = 0; i < 500 && _sink.Records.Count == before; i++)
        {
            await Task.Delay(2);
        }
        Assert.Equal(before + 1, _sink.Records.Count);
        return (Dechunk(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]), _sink.Records.Last());
    }

    private static void AssertReportedUsage(UsageRecord record)
    {
        Assert.True(record.Usage.Reported);
        Assert.Equal((11L, 7L, 3L, 2L), (record.Usage.Input, record.Usage.Output, record.Usage.CachedInput, record.Usage.Reasoning));
        Assert.Equal(200, record.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stream_InOneRead_PassedAsIs_UsageChunkOnlyWhenAsked_UsageExact(bool includeUsage)
    {
        _origin.Respond = _ => SseResponse(Events + UsageChunk + Done);
        using var client = Start();

        var (body, record) = await Exchange(client, includeUsage);

        Assert.Equal(Events + (includeUsage ? UsageChunk : "") + Done, body);
        AssertReportedUsage(record);
        Assert.Contains("\"stream_options\":{\"include_usage\":true}", _origin.Requests.Last());
    }

    [Fact]
    public async Task Stream_SplitAtEveryByte_SameEventsAndUsage()
    {
        var stream = Events + UsageChunk + Done;
        var response = SseResponse(stream);
        var bodyStart = response.Length - stream.Length;
        Start().Dispose();
        for (var at = 1; at < stream.Length; at++)
        {
            var split = bodyStart + at;
            _origin.Respond = _ =>
            {
                // The second part goes out a moment later, so the gateway reads the stream in two pieces.
                _origin.PauseHold = Task.Delay(1);
                return response[..split] + InMemoryOrigin.Pause + response[split..];
            };
            using var client = _gateway!.Connect();

            var (body, record) = await Exchange(client, includeUsage: false);

            Assert.True(Events + Done == body, $"split at {at}: {body}");
            AssertReportedUsage(record);
        }
    }

    [Fact]
    public async Task Stream_Trickled_SameEventsAndUsage()
    {
        _origin.Trickle = true;
        _origin.Respond = _ => SseResponse(Events + UsageChunk + Done);
        using var client = Start();

        var (body, record) = await Exchange(client, includeUsage: false);

        Assert.Equal(Events + Done, body);
        AssertReportedUsage(record);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stream_NoUsageReported_EstimatedFromEveryChunksText(bool trickle)
    {
        _origin.Trickle = trickle;
        _origin.Respond = _ => SseResponse(Events + Done);
        using var client = Start();

        var (body, record) = await Exchange(client, includeUsage: false);

        Assert.Equal(Events + Done, body);
        Assert.False(record.Usage.Reported);
        Assert.Equal(100, record.Usage.Input);
        // The fixed estimator counts bytes: "" "Hel" "lo", each with its separating space.
        Assert.Equal(1 + 4 + 3, record.Usage.Output);
    }

    [Fact]
    public async Task Stream_NoUsageReported_SplitAtEveryByte_EstimatedFromEveryChunksText()
    {
        // Chunks taken whole are kept at the end of their read: wherever the reads end, each is kept once.
        var stream = Events + Done;
        var response = SseResponse(stream);
        var bodyStart = response.Length - stream.Length;
        Start().Dispose();
        for (var at = 1; at < stream.Length; at++)
        {
            var split = bodyStart + at;
            _origin.Respond = _ =>
            {
                _origin.PauseHold = Task.Delay(1);
                return response[..split] + InMemoryOrigin.Pause + response[split..];
            };
            using var client = _gateway!.Connect();

            var (body, record) = await Exchange(client, includeUsage: false);

            Assert.True(Events + Done == body, $"split at {at}: {body}");
            Assert.False(record.Usage.Reported, $"split at {at}");
            Assert.True(1 + 4 + 3 == record.Usage.Output, $"split at {at}: output {record.Usage.Output}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stream_RunsOnEitherSideOfAComment_NoUsage_EstimatedFromEveryChunksText(bool usage)
    {
        // A comment between plain chunks: one read gives the stage two runs to take whole.
        var stream = Chunk("{\"content\":\"ab\"}") + Chunk("{\"content\":\"c\"}") + ": keep-alive\n\n"
            + Chunk("{\"content\":\"def\"}") + Chunk("{}", "\"stop\"") + (usage ? UsageChunk : "") + Done;
        _origin.Respond = _ => SseResponse(stream);
        using var client = Start();

        var (body, record) = await Exchange(client, includeUsage: true);

        Assert.Equal(stream, body);
        if (usage)
        {
            AssertReportedUsage(record);
            return;
        }
        Assert.False(record.Usage.Reported);
        Assert.Equal(3 + 2 + 4, record.Usage.Output);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Stream_CrLineEndsAmongPlainChunks_PassedAsIs_UsageExactOrEstimated(bool usage, bool trickle)
    {
        // Plain chunks around events ended by CRLF, CR CR and LF CRLF: a run taken whole stops at
        // each (LF LF alone does not tell where they end), and each is read one by one.
        var stream = Chunk("{\"content\":\"ab\"}") + Chunk("{\"content\":\"c\"}").Replace("\n\n", "\r\n\r\n", StringComparison.Ordinal)
            + Chunk("{\"content\":\"def\"}") + Chunk("{\"content\":\"g\"}").Replace("\n\n", "\r\r", StringComparison.Ordinal)
            + Chunk("{\"content\":\"hi\"}").Replace("\n\n", "\n\r\n", StringComparison.Ordinal)
            + Chunk("{\"content\":\"jk\"}") + Chunk("{}", "\"stop\"") + (usage ? UsageChunk : "") + Done;
        _origin.Trickle = trickle;
        _origin.Respond = _ => SseResponse(stream);
        using var client = Start();

        var (body, record) = await Exchange(client, includeUsage: true);

        Assert.Equal(stream, body);
        if (usage)
        {
            AssertReportedUsage(record);
            return;
        }
        Assert.False(record.Usage.Reported);
        Assert.Equal(3 + 2 + 4 + 2 + 3 + 3, record.Usage.Output);
    }

    [Fact]
    public async Task Stream_ErrorChunk_PassedAndNothingAfterIt()
    {
        const string error = "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
        _origin.Respond = _ => SseResponse(Events + error + Chunk("{\"content\":\"late\"}") + Done);
        using var client = Start();

        var (body, _) = await Exchange(client, includeUsage: false);

        Assert.Equal(Events + error, body);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    public async Task Stream_OtherShapes_ReadOneByOne_PassedAsIs_UsageExact(string eol)
    {
        // Every event here is a shape the whole-read path leaves to the event-by-event one.
        var shapes = string.Join(eol, [": keep-alive", "", "event: message", Chunk("{\"content\":\"a\"}").TrimEnd('\n'), "",
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,", "data: \"delta\":{\"content\":\"b\"}}],\"usage\":null}", "",
            "id: 7", Chunk("{\"content\":\"c\"}").TrimEnd('\n'), "", ""]);
        var stream = Events.Replace("\n", eol, StringComparison.Ordinal) + shapes + UsageChunk.Replace("\n", eol, StringComparison.Ordinal) + Done;
        _origin.Respond = _ => SseResponse(stream);
        using var client = Start();

        var (body, record) = await Exchange(client, includeUsage: true);

        Assert.Equal(stream, body);
        AssertReportedUsage(record);
    }

    private static string Dechunk(string body)
    {
        var output = new StringBuilder();
        var at = 0;
        while (at < body.Length)
        {
            var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..lineEnd], 16);
            if (size == 0)
            {
                break;
            }
            output.Append(body, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
        return output.ToString();
    }
}
