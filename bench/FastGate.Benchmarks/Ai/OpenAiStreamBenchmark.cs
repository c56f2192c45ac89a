using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;
using FastGate.Core.Sse;

namespace FastGate.Benchmarks.Ai;

/// <summary>
/// The per-event work of a streamed chat completion on an AI route whose provider is OpenAI-kind and whose
/// client speaks OpenAI chat (the ai-stream path): the provider decoder reads each chunk (its text, any
/// usage) and the chat encoder writes it for the client. Figures are per event; the goal is 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class OpenAiStreamBenchmark
{
    private const int ContentEvents = 256;
    private const int PieceBytes = 1024;

    private static readonly string[] Words =
    [
        "Hello", "!", " How", " can", " I", " help", " you", " today", "?", " The", " gateway", " meters",
        " each", " token", " as", " soon", " as", " it", " arrives", ",", " without", " waiting", ".", "\\n",
    ];

    private readonly SseEventReader _reader = new();
    private readonly ProviderStreamDecoder _decoder = new OpenAiAdapter(Proxy.Config.ProviderKind.OpenAi).NewStreamDecoder();
    private readonly FrontStreamEncoder _encoder = new OpenAiChatFront().NewStreamEncoder();
    private readonly EncodingSink _sink = new();
    private byte[] _stream = [];
    private byte[][] _events = [];

    /// <summary>Events in the stream: the content chunks, the finish chunk, the usage chunk and [DONE].</summary>
    public const int Events = ContentEvents + 3;

    [Params(false, true)]
    public bool ClientWantsUsage { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stream = Stream();
        var events = new List<byte[]>();
        _reader.Append(_stream);
        while (_reader.TryRead(out SseEvent e))
        {
            events.Add(e.Data.ToArray());
        }
        _reader.Reset();
        _events = [.. events];
        _sink.Encoder = _encoder;
        DecodeEncode();
        FrameDecodeEncode();
    }

    [GlobalCleanup]
    public void Cleanup() => _reader.Release();

    /// <summary>Decoder and encoder per event, the events already framed.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long DecodeEncode()
    {
        Begin();
        var usage = default(TokenUsage);
        foreach (var data in _events)
        {
            _decoder.OnEvent(default, data, _sink, ref usage);
        }
        return End(usage);
    }

    /// <summary>The same with the SSE framing of the body in 1 KiB reads.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long FrameDecodeEncode()
    {
        Begin();
        var usage = default(TokenUsage);
        var reader = _reader;
        reader.Reset();
        var body = _stream;
        for (var offset = 0; offset < body.Length; offset += PieceBytes)
        {
            reader.Append(body.AsSpan(offset, Math.Min(PieceBytes, body.Length - offset)));
            while (reader.TryRead(out SseEvent e))
            {
                _decoder.OnEvent(e.EventType, e.Data, _sink, ref usage);
            }
        }
        return End(usage);
    }

    private void Begin()
    {
        var facts = new RequestFacts { Stream = true, ClientWantsUsage = ClientWantsUsage };
        _decoder.Reset(facts);
        _encoder.Reset(facts);
        _sink.Output.ResetWrittenCount();
        _sink.TextBytes = 0;
    }

    private long End(in TokenUsage usage)
    {
        _encoder.Done(usage, _sink.Output);
        return _sink.Output.WrittenCount + _sink.TextBytes + usage.Output;
    }

    private sealed class EncodingSink : IPivotStreamSink
    {
        public FrontStreamEncoder Encoder = null!;
        public readonly ArrayBufferWriter<byte> Output = new(256 * 1024);
        public long TextBytes;

        public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText)
        {
            TextBytes += outputText.Length;
            Encoder.Chunk(pivotChunk, Output);
        }

        public void Done()
        {
        }

        public void Error(in AiError error) => Encoder.Error(error, Output);
    }

    /// <summary>A chat completion stream as OpenAI sends it with include_usage: "usage":null on every chunk, then a usage-only chunk.</summary>
    private static byte[] Stream()
    {
        const string head = "data: {\"id\":\"chatcmpl-AaB1\",\"object\":\"chat.completion.chunk\",\"created\":1733130000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[";
        var body = new StringBuilder();
        for (var i = 0; i < ContentEvents; i++)
        {
            body.Append(head).Append("{\"index\":0,\"delta\":{\"content\":\"").Append(Words[i % Words.Length])
                .Append("\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
        }
        body.Append(head).Append("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n");
        body.Append(head).Append("],\"usage\":{\"prompt_tokens\":25,\"completion_tokens\":256,\"total_tokens\":281,")
            .Append("\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0}}}\n\n");
        body.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(body.ToString());
    }
}
