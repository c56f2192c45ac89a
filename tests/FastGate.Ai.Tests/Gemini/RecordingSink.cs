using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastGate.Ai.Providers;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>Keeps what a stream decoder hands its sink, as text, and fails a test that gets anything after the end.</summary>
internal sealed partial class RecordingSink : IPivotStreamSink
{
    public List<string> Chunks { get; } = [];
    public StringBuilder OutputText { get; } = new();
    public List<AiError> Errors { get; } = [];
    public int DoneCount { get; private set; }

    public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText)
    {
        Assert.True(DoneCount == 0 && Errors.Count == 0, "a chunk after the stream ended");
        Chunks.Add(Encoding.UTF8.GetString(pivotChunk));
        OutputText.Append(Encoding.UTF8.GetString(outputText));
    }

    public void Done()
    {
        DoneCount++;
    }

    public void Error(in AiError error)
    {
        Errors.Add(error);
    }

    /// <summary>The chunks with what changes per run (random ids, the clock) replaced, to compare runs.</summary>
    public IEnumerable<string> Normalized() => Chunks.Select(c => RandomParts().Replace(c, "#"));

    /// <summary>Every chunk parsed: each must be a whole JSON object.</summary>
    public StreamSummary Summary() => StreamSummary.Of(Chunks);

    [GeneratedRegex("chatcmpl-[0-9a-f]{16}|call_[0-9a-f]{16}_|\"created\":[0-9]+")]
    private static partial Regex RandomParts();
}
