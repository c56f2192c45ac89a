using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Core.Buffers;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// Gemini's <c>streamGenerateContent?alt=sse</c> events as pivot chunks. Each event's data is a
/// whole <c>GenerateContentResponse</c> holding the next parts of the answer:
/// <code>
/// first event          -> a role chunk (delta.role "assistant"), then as below
/// text part            -> a content chunk
/// functionCall part    -> one tool_call chunk with the whole arguments (Gemini never splits a call)
/// finishReason         -> a finish chunk, a usage-only chunk (when usage came) and Done
/// promptFeedback block -> a content_filter finish, usage, Done
/// {"error": ...}       -> Error
/// </code>
/// <c>usageMetadata</c> may come with any event; the last one counts. Chunks are written into one
/// buffer the decoder keeps, so an event allocates nothing. Not thread-safe: one exchange's loop owns it.
/// </summary>
public sealed class GeminiStreamDecoder : ProviderStreamDecoder
{
    private readonly PooledByteBuffer _chunk = new();
    // The model version of the last event that named one, as its raw JSON string.
    private readonly byte[] _model = new byte[128];
    private int _modelLength;
    private ulong _salt;
    private long _created;
    private int _toolCalls;
    private bool _started;
    private bool _ended;

    public override void Reset(in RequestFacts facts)
    {
        _chunk.Clear();
        _modelLength = 0;
        _salt = PivotWriter.NewSalt();
        _created = PivotWriter.UnixNow();
        _toolCalls = 0;
        _started = false;
        _ended = false;
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
    {
        if (_ended || data.Trim(" \t\r\n"u8).IsEmpty)
        {
            return true;
        }
        try
        {
            var response = GeminiResponse.Scan(data);
            if (response.Error.Exists)
            {
                _ended = true;
                sink.Error(GeminiErrors.FromErrorObject(response.Error, 0));
                return true;
            }
            if (response.ModelVersion.IsString && response.ModelVersion.Bytes.Length <= _model.Length)
            {
                response.ModelVersion.Bytes.CopyTo(_model);
                _modelLength = response.ModelVersion.Bytes.Length;
            }
            GeminiUsage.Read(response.UsageMetadata, ref usage);
            if (!_started)
            {
                _started = true;
                RoleChunk(sink);
            }
            if (response.Parts.IsArray)
            {
                var reader = response.Parts.Reader();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var part = GeminiPart.Scan(RawJson.Capture(ref reader, response.Parts.Bytes));
                    if (part.IsFunctionCall)
                    {
                        ToolCallChunk(part, sink);
                    }
                    else if (part.IsAnswerText && !part.Text.IsEmptyStringOrArray)
                    {
                        ContentChunk(part.Text, sink);
                    }
                }
            }
            var blocked = !response.HasCandidate && response.BlockReason.IsString;
            if (GeminiFinishReason.IsPresent(response.FinishReason) || blocked)
            {
                _ended = true;
                FinishChunk(blocked ? PivotWriter.ContentFilter : GeminiFinishReason.ToPivot(response.FinishReason, _toolCalls > 0), sink);
                if (usage.Reported)
                {
                    UsageChunk(usage, sink);
                }
                sink.Done();
            }
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    private ReadOnlySpan<byte> Model => _model.AsSpan(0, _modelLength);

    private Utf8JsonWriter StartChunk()
    {
        _chunk.Clear();
        var writer = JsonWriters.For(_chunk);
        PivotWriter.ChunkStart(writer, _salt, _created, Model);
        return writer;
    }

    // The shared writer is flushed before the sink runs: the sink's own encoder takes the same writer.
    private void EndChunk(Utf8JsonWriter writer, ReadOnlySpan<byte> finishReason, ReadOnlySpan<byte> outputText, IPivotStreamSink sink)
    {
        PivotWriter.ChunkEnd(writer, finishReason);
        writer.Flush();
        sink.Chunk(_chunk.WrittenSpan, outputText);
    }

    private void RoleChunk(IPivotStreamSink sink)
    {
        var writer = StartChunk();
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("content"u8, ""u8);
        EndChunk(writer, default, default, sink);
    }

    private void ContentChunk(RawJson text, IPivotStreamSink sink)
    {
        var writer = StartChunk();
        writer.WritePropertyName("content"u8);
        writer.WriteRawValue(text.Bytes, skipInputValidation: true);
        EndChunk(writer, default, text.StringContent, sink);
    }

    private void ToolCallChunk(GeminiPart part, IPivotStreamSink sink)
    {
        var arguments = part.FunctionArgs.IsObject ? part.FunctionArgs.Bytes : default;
        var writer = StartChunk();
        writer.WriteStartArray("tool_calls"u8);
        PivotWriter.ToolCall(writer, _toolCalls++, withIndex: true, _salt, part.FunctionName.Bytes, arguments);
        writer.WriteEndArray();
        EndChunk(writer, default, arguments.IsEmpty ? "{}"u8 : arguments, sink);
    }

    private void FinishChunk(ReadOnlySpan<byte> finishReason, IPivotStreamSink sink)
    {
        var writer = StartChunk();
        EndChunk(writer, finishReason, default, sink);
    }

    private void UsageChunk(in TokenUsage usage, IPivotStreamSink sink)
    {
        _chunk.Clear();
        var writer = JsonWriters.For(_chunk);
        PivotWriter.UsageChunk(writer, _salt, _created, Model, usage);
        writer.Flush();
        sink.Chunk(_chunk.WrittenSpan, default);
    }
}
