using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;
using FastGate.Ai.Stages;
using FastGate.Core.Sse;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;

namespace FastGate.Benchmarks.Ai;

/// <summary>
/// The event path of one passed-through AI stream (an OpenAI chat client on an OpenAI provider, the
/// ai-stream bench's route), as the proxy runs it on the response: the SSE reader and the AI stage
/// through the route's stage chain, for the mock's answer to one request (a role chunk, 64 content
/// chunks, the finish chunk, the usage chunk the client did not ask for, [DONE]). Figures are per
/// stream, i.e. per request. <see cref="EventByEvent"/> is the path every event took before the
/// stage could take a read's plain chunks whole (<see cref="WholeReads"/>, what the proxy runs now);
/// <see cref="UsageChunkReadAgain"/> is the second read of the usage chunk each request made before
/// the decoder told it. The goal is 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class AiPassThroughEventsBenchmark
{
    private const int ContentEvents = 64;

    private readonly SseEventReader _reader = new();
    private Exchange _exchange = null!;
    private AiExchangeState _state = null!;
    private StageChain _chain = null!;
    private byte[] _stream = [];
    private byte[] _usageChunk = [];

    /// <summary>The bytes of each read: the whole answer at once (as the mock's one send arrives), or 1 KiB reads.</summary>
    [Params(0, 1024)]
    public int ReadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const string text = """
            [[listener]]
            name = "web"
            listen = "127.0.0.1:18999"
            [[route]]
            name = "ai"
            path_prefix = "/v1/"
            ai = true
            [provider.mock]
            kind = "openai"
            base_url = "http://127.0.0.1:18998"
            api_key = "bench-key"
            [[model]]
            name = "m"
            targets = ["mock/m"]
            """;
        var load = ConfigLoader.LoadFromText(text, "bench.toml");
        if (!load.IsValid)
        {
            throw new InvalidOperationException(string.Join("\n", load.Errors));
        }
        var config = load.Model!;
        var route = config.Routes[0];
        var services = new AiServices(new NullSink(), new NullEstimator());
        var stage = services.StageFor(route, config)!;
        _chain = new StageChain([stage]);
        _exchange = Exchange.ForRequest("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n\r\n", IPAddress.Loopback);
        _exchange.Routed(new RouteRuntime(route, null, new RouteState(route.Name), _chain));
        _state = new AiExchangeState
        {
            Api = ClientApi.OpenAiChat,
            UpstreamApi = ClientApi.OpenAiChat,
            Mode = AiResponseMode.SsePassThrough,
            Facts = new RequestFacts { Stream = true },
            Decoder = new OpenAiStreamDecoder(),
        };
        _exchange.Slots[stage.SlotBase] = _state;
        _stream = Stream(out _usageChunk);
        if (EventByEvent() != WholeReads())
        {
            throw new InvalidOperationException("the two paths let different bytes through");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _reader.Release();

    [Benchmark(Baseline = true)]
    public long EventByEvent()
    {
        var reader = Begin();
        long passed = 0;
        var body = _stream;
        var piece = ReadBytes == 0 ? body.Length : ReadBytes;
        for (var offset = 0; offset < body.Length; offset += piece)
        {
            reader.Append(body.AsSpan(offset, Math.Min(piece, body.Length - offset)));
            while (reader.TryRead(out SseEvent e))
            {
                _chain.RunResponseEvent(_exchange, e, out var output);
                passed += output.Length;
            }
        }
        return passed;
    }

    [Benchmark]
    public long WholeReads()
    {
        var reader = Begin();
        long passed = 0;
        var body = _stream;
        var piece = ReadBytes == 0 ? body.Length : ReadBytes;
        for (var offset = 0; offset < body.Length; offset += piece)
        {
            reader.Append(body.AsSpan(offset, Math.Min(piece, body.Length - offset)));
            var taken = TakeWhole(reader);
            var later = (From: 0, Length: 0);
            passed += taken.Length;
            var first = true;
            while (reader.TryRead(out SseEvent e))
            {
                _chain.RunResponseEvent(_exchange, e, out var output);
                passed += output.Length;
                if (first)
                {
                    // As the proxy does: a read that began inside an event is offered again after it.
                    first = false;
                    later = TakeWhole(reader);
                    passed += later.Length;
                }
            }
            HandBack(_chain, _exchange, reader, taken, later);
        }
        return passed;
    }

    /// <summary>As the proxy does: the run taken is handed back once the rest of the read was passed.</summary>
    private static void HandBack(StageChain chain, Exchange exchange, SseEventReader reader, (int From, int Length) taken, (int From, int Length) later)
    {
        chain.RunResponseEventsTaken(exchange, reader.Blocks(taken.From, taken.From + taken.Length));
        chain.RunResponseEventsTaken(exchange, reader.Blocks(later.From, later.From + later.Length));
    }

    private (int From, int Length) TakeWhole(SseEventReader reader)
    {
        var from = reader.Position;
        if (reader.WholeBlocks() is { IsEmpty: false } whole)
        {
            reader.Skip(_chain.RunResponseEventsWhole(_exchange, whole));
        }
        return (from, reader.Position - from);
    }

    [Benchmark]
    public bool UsageChunkReadAgain() => OpenAiChatStreamEncoder.IsUsageOnly(_usageChunk);

    private SseEventReader Begin()
    {
        _reader.Reset();
        _state.UnreadChunks.Clear();
        _state.UnreadChunksDue = 0;
        _state.OutputText.Clear();
        _state.Usage = default;
        _state.StreamDone = false;
        _state.Decoder!.Reset(_state.Facts);
        return _reader;
    }

    /// <summary>The mock provider's answer on ai-stream (tools/MockUpstream, OpenAiProvider), asked for usage as FastGate asks.</summary>
    private static byte[] Stream(out byte[] usageChunk)
    {
        const string envelope = "{\"id\":\"chatcmpl-00000001\",\"object\":\"chat.completion.chunk\",\"created\":1796414945,\"model\":\"m\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_mock\",\"choices\":[";
        static string Chunk(string delta, string finish) =>
            $"data: {envelope}{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}],\"usage\":null}}\n\n";
        var body = new StringBuilder();
        body.Append(Chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null"));
        for (var i = 0; i < ContentEvents; i++)
        {
            body.Append(Chunk(i == 0 ? "{\"content\":\"tok\"}" : "{\"content\":\" tok\"}", "null"));
        }
        body.Append(Chunk("{}", "\"stop\""));
        var usage = envelope + "],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":64,\"total_tokens\":76,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,"
            + "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}";
        usageChunk = Encoding.UTF8.GetBytes(usage);
        body.Append("data: ").Append(usage).Append("\n\n");
        body.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(body.ToString());
    }

    private sealed class NullSink : IUsageSink
    {
        public void Record(in UsageRecord record)
        {
        }

        public void Fallback(string route, string fromProvider, string toProvider, int status)
        {
        }

        public void ProviderError(string provider, string model, int status)
        {
        }
    }

    private sealed class NullEstimator : ITokenEstimator
    {
        public long CountPrompt(ReadOnlySpan<byte> pivotRequest, string model) => 0;

        public long CountText(ReadOnlySpan<byte> utf8Text, string model) => utf8Text.Length;
    }
}
