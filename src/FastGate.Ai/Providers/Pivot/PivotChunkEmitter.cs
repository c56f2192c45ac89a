using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Core.Buffers;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// Writes pivot <c>chat.completion.chunk</c>s into one buffer it keeps and hands each to the
/// sink: a stream decoder's output side, allocation-free once the buffer has grown. Holds the
/// stream's id salt, creation time, model name and tool-call count. Not thread-safe.
/// </summary>
internal sealed partial class PivotChunkEmitter
{
    private readonly PooledByteBuffer _chunk = new();
    // The model the provider named last, as its raw JSON string; longer names are left out.
    private readonly byte[] _model = new byte[128];
    private int _modelLength;
    private ulong _salt;
    private long _created;
    private bool _started;

    /// <summary>Tool calls emitted so far: the next call's index.</summary>
    public int ToolCalls { get; private set; }

    public void Reset()
    {
        _chunk.Clear();
        _modelLength = 0;
        _salt = PivotWriter.NewSalt();
        _created = PivotWriter.UnixNow();
        ToolCalls = 0;
        _started = false;
    }

    /// <summary>Remembers the model a provider event named (a JSON string; anything else is ignored).</summary>
    public void SetModel(RawJson model)
    {
        if (model.IsString && model.Bytes.Length <= _model.Length)
        {
            model.Bytes.CopyTo(_model);
            _modelLength = model.Bytes.Length;
        }
    }

    /// <summary>
    /// The first chunk of an OpenAI stream, <c>delta: {role: assistant, content: ""}</c>, on the
    /// provider's first event and never again.
    /// </summary>
    public void StartStream(IPivotStreamSink sink)
    {
        if (_started)
        {
            return;
        }
        _started = true;
        var writer = Start();
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("content"u8, ""u8);
        End(writer, default, default, sink);
    }

    /// <summary><c>delta: {content}</c>; <paramref name="text"/> is a JSON string.</summary>
    public void Content(RawJson text, IPivotStreamSink sink)
    {
        var writer = Start();
        writer.WritePropertyName("content"u8);
        writer.WriteRawValue(text.Bytes, skipInputValidation: true);
        End(writer, default, text.StringContent, sink);
    }

    /// <summary>One whole tool call (id, name, all its arguments) in <c>delta.tool_calls</c>, at the next index.</summary>
    public void ToolCall(ReadOnlySpan<byte> nameRaw, ReadOnlySpan<byte> argumentsJson, IPivotStreamSink sink)
    {
        var writer = Start();
        writer.WriteStartArray("tool_calls"u8);
        PivotWriter.ToolCall(writer, ToolCalls++, withIndex: true, _salt, nameRaw, argumentsJson);
        writer.WriteEndArray();
        End(writer, default, argumentsJson.IsEmpty ? "{}"u8 : argumentsJson, sink);
    }

    /// <summary>
    /// The end of the stream: an empty delta with the finish reason, the usage-only chunk (empty
    /// <c>choices</c>) when the provider reported usage, and Done.
    /// </summary>
    public void FinishStream(ReadOnlySpan<byte> finishReason, in TokenUsage usage, IPivotStreamSink sink)
    {
        var writer = Start();
        End(writer, finishReason, default, sink);
        if (usage.Reported)
        {
            _chunk.Clear();
            writer = JsonWriters.For(_chunk);
            PivotWriter.UsageChunk(writer, _salt, _created, _model.AsSpan(0, _modelLength), usage);
            writer.Flush();
            sink.Chunk(_chunk.WrittenSpan, default);
        }
        sink.Done();
    }

    private Utf8JsonWriter Start()
    {
        _chunk.Clear();
        var writer = JsonWriters.For(_chunk);
        PivotWriter.ChunkStart(writer, _salt, _created, _model.AsSpan(0, _modelLength));
        return writer;
    }

    // Flushed before the sink runs: the sink's encoder takes the same per-thread writer.
    private void End(Utf8JsonWriter writer, ReadOnlySpan<byte> finishReason, ReadOnlySpan<byte> outputText, IPivotStreamSink sink)
    {
        PivotWriter.ChunkEnd(writer, finishReason);
        writer.Flush();
        sink.Chunk(_chunk.WrittenSpan, outputText);
    }
}
