using System.Text;
using System.Text.Json.Nodes;
using FastGate.Ai.Providers;

namespace FastGate.Ai.Tests.Anthropic;

/// <summary>Keeps what a decoder gave: each chunk as text, the output text pieces, the end or the error.</summary>
internal sealed class RecordingSink : IPivotStreamSink
{
    public List<string> Chunks { get; } = [];
    public StringBuilder OutputText { get; } = new();
    public int DoneCount { get; private set; }
    public AiError? LastError { get; private set; }
    public bool Failed { get; set; }
    public TokenUsage Usage { get; set; }

    public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText)
    {
        Chunks.Add(Encoding.UTF8.GetString(pivotChunk));
        OutputText.Append(Encoding.UTF8.GetString(outputText));
    }

    public void Done() => DoneCount++;

    public void Error(in AiError error) => LastError = error;

    public IEnumerable<JsonNode> Parsed => Chunks.Select(c => JsonNode.Parse(c)!);
}
