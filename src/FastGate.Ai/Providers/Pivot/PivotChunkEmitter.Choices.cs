using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// The chunks of a stream with several choices (OpenAI's <c>n</c>): each names its choice's
/// index, each choice opens with its own role chunk and ends with its own finish reason, and the
/// stream ends once, with one usage chunk for all of them. With one choice the chunks are the
/// same bytes as the single-choice methods write.
/// </summary>
internal sealed partial class PivotChunkEmitter
{
    /// <summary>The role chunk (<c>delta: {role: assistant, content: ""}</c>) that opens <paramref name="choice"/>.</summary>
    public void ChoiceStart(int choice, IPivotStreamSink sink)
    {
        _started = true;
        var writer = StartChoice(choice);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("content"u8, ""u8);
        End(writer, default, default, sink);
    }

    /// <summary><c>delta: {content}</c> of <paramref name="choice"/>; <paramref name="text"/> is a JSON string.</summary>
    public void ChoiceContent(int choice, RawJson text, IPivotStreamSink sink)
    {
        var writer = StartChoice(choice);
        writer.WritePropertyName("content"u8);
        writer.WriteRawValue(text.Bytes, skipInputValidation: true);
        End(writer, default, text.StringContent, sink);
    }

    /// <summary>
    /// One whole tool call of <paramref name="choice"/>, at that choice's <paramref name="index"/>;
    /// its id takes the stream's next number, so ids stay unique across choices.
    /// </summary>
    public void ChoiceToolCall(int choice, int index, ReadOnlySpan<byte> nameRaw, ReadOnlySpan<byte> argumentsJson, IPivotStreamSink sink)
    {
        var writer = StartChoice(choice);
        writer.WriteStartArray("tool_calls"u8);
        PivotWriter.ToolCall(writer, index, withIndex: true, _salt, ToolCalls++, nameRaw, argumentsJson);
        writer.WriteEndArray();
        End(writer, default, argumentsJson.IsEmpty ? "{}"u8 : argumentsJson, sink);
    }

    /// <summary>The empty delta with <paramref name="choice"/>'s finish reason.</summary>
    public void ChoiceFinish(int choice, ReadOnlySpan<byte> finishReason, IPivotStreamSink sink) =>
        End(StartChoice(choice), finishReason, default, sink);

    /// <summary>After every choice finished: the usage-only chunk (when the provider reported usage) and Done.</summary>
    public void EndStream(in TokenUsage usage, IPivotStreamSink sink)
    {
        if (usage.Reported)
        {
            _chunk.Clear();
            var writer = JsonWriters.For(_chunk);
            PivotWriter.UsageChunk(writer, _salt, _created, _model.AsSpan(0, _modelLength), usage);
            writer.Flush();
            sink.Chunk(_chunk.WrittenSpan, default);
        }
        sink.Done();
    }

    private Utf8JsonWriter StartChoice(int choice)
    {
        _chunk.Clear();
        var writer = JsonWriters.For(_chunk);
        PivotWriter.ChunkStart(writer, _salt, _created, _model.AsSpan(0, _modelLength), choice);
        return writer;
    }
}
