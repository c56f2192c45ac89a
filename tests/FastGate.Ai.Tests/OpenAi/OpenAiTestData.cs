using System.Buffers;
using System.Text;
using FastGate.Ai.Providers;
using FastGate.Core.Sse;

namespace FastGate.Ai.Tests.OpenAi;

/// <summary>Loads TestData/openai files (their '#' header lines dropped) and runs streams through the SSE reader and a decoder.</summary>
internal static class OpenAiTestData
{
    public static byte[] Load(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "openai", name));
        var start = 0;
        while (start < bytes.Length && bytes[start] == (byte)'#')
        {
            var eol = Array.IndexOf(bytes, (byte)'\n', start);
            start = eol < 0 ? bytes.Length : eol + 1;
        }
        return bytes[start..];
    }

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>
    /// Feeds <paramref name="stream"/> to an SSE reader in the given pieces and every event with data to the
    /// decoder, as the stage does; stops at the first event the decoder refuses.
    /// </summary>
    public static DecodeResult Decode(ProviderStreamDecoder decoder, byte[] stream, IEnumerable<Range> pieces, RecordingSink? sink = null)
    {
        sink ??= new RecordingSink();
        var reader = new SseEventReader();
        var usage = default(TokenUsage);
        decoder.Reset(default);
        var refused = false;
        foreach (var piece in pieces)
        {
            reader.Append(stream.AsSpan(piece));
            while (!refused && reader.TryRead(out SseEvent e))
            {
                if (!e.HasData)
                {
                    continue;
                }
                refused = !decoder.OnEvent(e.EventType, e.Data, sink, ref usage);
            }
        }
        return new DecodeResult(sink, usage, refused);
    }

    public static IEnumerable<Range> Whole(byte[] stream) => [new Range(0, stream.Length)];

    public static IEnumerable<Range> SplitAt(byte[] stream, int at) => [new Range(0, at), new Range(at, stream.Length)];

    public static IEnumerable<Range> ByteByByte(byte[] stream) => Enumerable.Range(0, stream.Length).Select(i => new Range(i, i + 1));
}

internal sealed record DecodeResult(RecordingSink Sink, TokenUsage Usage, bool Refused)
{
    /// <summary>Everything a test compares between two ways of feeding the same stream.</summary>
    public string Summary =>
        $"chunks={string.Join("|", Sink.Chunks)} text={Sink.Text} done={Sink.DoneCount} errors={string.Join("|", Sink.Errors)} " +
        $"usage={Usage.Input}/{Usage.Output}/{Usage.CachedInput}/{Usage.Reasoning}/{Usage.Reported} refused={Refused}";
}

/// <summary>Keeps what a decoder gave it, as strings, for assertions.</summary>
internal sealed class RecordingSink : IPivotStreamSink
{
    public List<string> Chunks { get; } = [];
    public List<string> Texts { get; } = [];
    public List<AiError> Errors { get; } = [];
    public int DoneCount { get; private set; }
    public string Text => string.Concat(Texts);

    /// <summary>Also writes each chunk through an encoder when one is set.</summary>
    public FrontStreamEncoder? Encoder { get; init; }
    public ArrayBufferWriter<byte> Encoded { get; } = new();

    public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText)
    {
        Chunks.Add(Encoding.UTF8.GetString(pivotChunk));
        Texts.Add(Encoding.UTF8.GetString(outputText));
        Encoder?.Chunk(pivotChunk, Encoded);
    }

    public void Done() => DoneCount++;

    public void Error(in AiError error)
    {
        Errors.Add(error);
        Encoder?.Error(error, Encoded);
    }
}
