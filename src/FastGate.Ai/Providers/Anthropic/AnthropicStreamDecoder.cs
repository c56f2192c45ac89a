using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// Anthropic's streamed Messages events (Anthropic API reference, "Streaming Messages") as pivot
/// chunks, one event at a time: <c>message_start</c> gives the role chunk and the input usage,
/// each <c>text_delta</c> a content chunk, a <c>tool_use</c> block start a tool call with its id
/// and name, each <c>input_json_delta</c> a piece of its arguments, <c>message_delta</c> the finish
/// reason and the output usage (cumulative), <c>message_stop</c> a usage-only chunk and the end.
/// Thinking, signature and ping events carry nothing the pivot has.
/// </summary>
/// <remarks>
/// The message id and model of <c>message_start</c> are kept in fixed buffers and each chunk is
/// written into one reused buffer, so after the first events nothing is allocated per event.
/// </remarks>
internal sealed class AnthropicStreamDecoder : ProviderStreamDecoder
{
    // Longer ids or model names are cut: they only label the chunks.
    private const int MaxLabelBytes = 128;
    // Content blocks whose kind is remembered by index; a stream has a handful.
    private const int MaxBlocks = 64;

    private readonly ArrayBufferWriter<byte> _chunk = new(1024);
    private readonly byte[] _id = new byte[MaxLabelBytes];
    private readonly byte[] _model = new byte[MaxLabelBytes];
    // Per content block index: NotStarted, OtherBlock (text, thinking, a server tool's call), or the
    // tool call's index among the message's tool calls.
    private readonly int[] _toolIndexOfBlock = new int[MaxBlocks];
    private const int NotStarted = -2;
    private const int OtherBlock = -1;
    private int _idLength;
    private int _modelLength;
    private int _toolCalls;
    private int _lastToolIndex;
    private long _created;
    private AnthropicUsage _usage;
    private bool _done;

    public override void Reset(in RequestFacts facts)
    {
        _idLength = 0;
        _modelLength = 0;
        _toolCalls = 0;
        _lastToolIndex = -1;
        _usage = default;
        _done = false;
        _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        _toolIndexOfBlock.AsSpan().Fill(NotStarted);
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
    {
        try
        {
            return OnEventCore(eventType, data, sink, ref usage);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private bool OnEventCore(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
    {
        if (eventType.SequenceEqual("ping"u8) || _done)
        {
            return true;
        }
        ReadOnlySpan<byte> type = default, index = default, delta = default, contentBlock = default, message = default, usageJson = default;
        var members = new JsonMembers(data);
        if (!members.IsObject)
        {
            return false;
        }
        while (members.Next(out var name, out var value))
        {
            switch (name.Length)
            {
                case 4 when name.SequenceEqual("type"u8): type = new RawJson(value).StringContentOrEmpty; break;
                case 5 when name.SequenceEqual("index"u8): index = value; break;
                case 5 when name.SequenceEqual("delta"u8): delta = value; break;
                case 13 when name.SequenceEqual("content_block"u8): contentBlock = value; break;
                case 7 when name.SequenceEqual("message"u8): message = value; break;
                case 5 when name.SequenceEqual("usage"u8): usageJson = value; break;
            }
        }
        // The data's type names the event; the SSE event name is only the fallback.
        if (type.IsEmpty)
        {
            type = eventType;
        }
        switch (type.Length)
        {
            case 13 when type.SequenceEqual("message_start"u8):
                return OnMessageStart(message, sink, ref usage);
            case 19 when type.SequenceEqual("content_block_start"u8):
                return OnBlockStart(index, contentBlock, sink);
            case 19 when type.SequenceEqual("content_block_delta"u8):
                return OnBlockDelta(index, delta, sink);
            case 13 when type.SequenceEqual("message_delta"u8):
                return OnMessageDelta(delta, usageJson, sink, ref usage);
            case 12 when type.SequenceEqual("message_stop"u8):
                OnMessageStop(sink, usage);
                return true;
            case 5 when type.SequenceEqual("error"u8):
                if (!AnthropicErrors.TryReadEvent(data, out var error))
                {
                    return false;
                }
                _done = true;
                sink.Error(error);
                return true;
            default:
                // content_block_stop, ping, and event types added after this was written.
                return true;
        }
    }

    private bool OnMessageStart(ReadOnlySpan<byte> message, IPivotStreamSink sink, ref TokenUsage usage)
    {
        var members = new JsonMembers(message);
        if (!members.IsObject)
        {
            return false;
        }
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("id"u8))
            {
                _idLength = new RawJson(value).KeepLabel(_id);
            }
            else if (name.SequenceEqual("model"u8))
            {
                _modelLength = new RawJson(value).KeepLabel(_model);
            }
            else if (name.SequenceEqual("usage"u8) && new RawJson(value).IsObject)
            {
                _usage.Read(value);
                _usage.To(ref usage);
            }
        }
        var writer = StartChunk();
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("content"u8, ""u8);
        EndChunk(writer, default);
        sink.Chunk(_chunk.WrittenSpan, default);
        return true;
    }

    private bool OnBlockStart(ReadOnlySpan<byte> index, ReadOnlySpan<byte> contentBlock, IPivotStreamSink sink)
    {
        if (!new RawJson(index).TryGetWholeNumber(out var blockIndex))
        {
            return false;
        }
        ReadOnlySpan<byte> type = default, id = default, name = default, text = default;
        var members = new JsonMembers(contentBlock);
        if (!members.IsObject)
        {
            return false;
        }
        while (members.Next(out var key, out var value))
        {
            switch (key.Length)
            {
                case 4 when key.SequenceEqual("type"u8): type = value; break;
                case 2 when key.SequenceEqual("id"u8): id = value; break;
                case 4 when key.SequenceEqual("name"u8): name = value; break;
                case 4 when key.SequenceEqual("text"u8): text = value; break;
            }
        }
        if (blockIndex is >= 0 and < MaxBlocks)
        {
            _toolIndexOfBlock[blockIndex] = OtherBlock;
        }
        if (new RawJson(type).StringIsVerbatim("tool_use"u8))
        {
            var toolIndex = _toolCalls++;
            _lastToolIndex = toolIndex;
            if (blockIndex is >= 0 and < MaxBlocks)
            {
                _toolIndexOfBlock[blockIndex] = toolIndex;
            }
            var writer = StartChunk();
            writer.WriteStartArray("tool_calls"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, toolIndex);
            WriteRawString(writer, "id"u8, id);
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            WriteRawString(writer, "name"u8, name);
            writer.WriteString("arguments"u8, ""u8);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            EndChunk(writer, default);
            sink.Chunk(_chunk.WrittenSpan, new RawJson(name).StringContentOrEmpty);
        }
        else if (new RawJson(type).StringIsVerbatim("text"u8) && text.Length > 2)
        {
            // A text block normally starts empty; text given at its start is content too.
            EmitText(text, sink);
        }
        return true;
    }

    private bool OnBlockDelta(ReadOnlySpan<byte> index, ReadOnlySpan<byte> delta, IPivotStreamSink sink)
    {
        ReadOnlySpan<byte> type = default, text = default, partialJson = default;
        var members = new JsonMembers(delta);
        if (!members.IsObject)
        {
            return false;
        }
        while (members.Next(out var key, out var value))
        {
            switch (key.Length)
            {
                case 4 when key.SequenceEqual("type"u8): type = value; break;
                case 4 when key.SequenceEqual("text"u8): text = value; break;
                case 12 when key.SequenceEqual("partial_json"u8): partialJson = value; break;
            }
        }
        if (new RawJson(type).StringIsVerbatim("text_delta"u8))
        {
            if (!new RawJson(text).IsString)
            {
                return false;
            }
            if (text.Length > 2)
            {
                EmitText(text, sink);
            }
        }
        else if (new RawJson(type).StringIsVerbatim("input_json_delta"u8))
        {
            if (!new RawJson(partialJson).IsString)
            {
                return false;
            }
            if (partialJson.Length <= 2)
            {
                return true;
            }
            // Blocks past the remembered ones belong to the last tool call started.
            var toolIndex = _lastToolIndex;
            if (new RawJson(index).TryGetWholeNumber(out var blockIndex) && blockIndex is >= 0 and < MaxBlocks)
            {
                toolIndex = _toolIndexOfBlock[blockIndex];
                if (toolIndex == OtherBlock)
                {
                    // A server tool's input (web search, code execution): the pivot has no place for it.
                    return true;
                }
            }
            if (toolIndex < 0)
            {
                // Arguments for a block that never started.
                return false;
            }
            var writer = StartChunk();
            writer.WriteStartArray("tool_calls"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, toolIndex);
            writer.WriteStartObject("function"u8);
            writer.WritePropertyName("arguments"u8);
            writer.WriteRawValue(partialJson, skipInputValidation: true);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            EndChunk(writer, default);
            sink.Chunk(_chunk.WrittenSpan, new RawJson(partialJson).StringContentOrEmpty);
        }
        // thinking_delta, signature_delta, citations_delta: nothing the pivot answer holds.
        return true;
    }

    private void EmitText(ReadOnlySpan<byte> text, IPivotStreamSink sink)
    {
        var writer = StartChunk();
        writer.WritePropertyName("content"u8);
        writer.WriteRawValue(text, skipInputValidation: true);
        EndChunk(writer, default);
        sink.Chunk(_chunk.WrittenSpan, new RawJson(text).StringContentOrEmpty);
    }

    private bool OnMessageDelta(ReadOnlySpan<byte> delta, ReadOnlySpan<byte> usageJson, IPivotStreamSink sink, ref TokenUsage usage)
    {
        if (new RawJson(usageJson).IsObject)
        {
            // output_tokens is cumulative; newer API versions repeat the input figures here too.
            _usage.Read(usageJson);
            _usage.To(ref usage);
        }
        ReadOnlySpan<byte> stopReason = default;
        var members = new JsonMembers(delta);
        while (members.Next(out var key, out var value))
        {
            if (key.SequenceEqual("stop_reason"u8))
            {
                stopReason = value;
            }
        }
        if (new RawJson(stopReason).IsString)
        {
            var writer = StartChunk();
            EndChunk(writer, AnthropicStopReason.ToFinishReason(new RawJson(stopReason).StringContentOrEmpty));
            sink.Chunk(_chunk.WrittenSpan, default);
        }
        return true;
    }

    private void OnMessageStop(IPivotStreamSink sink, in TokenUsage usage)
    {
        _done = true;
        if (_usage.Seen)
        {
            var writer = Head();
            PivotWriter.UsageChunkEnd(writer, usage);
            writer.Flush();
            sink.Chunk(_chunk.WrittenSpan, default);
        }
        sink.Done();
    }

    /// <summary>The chunk's head and its one choice up to the inside of <c>delta</c>.</summary>
    private Utf8JsonWriter StartChunk()
    {
        var writer = Head();
        PivotWriter.ChunkDeltaStart(writer);
        return writer;
    }

    private Utf8JsonWriter Head()
    {
        _chunk.ResetWrittenCount();
        var writer = JsonWriters.For(_chunk);
        writer.WriteStartObject();
        writer.WriteString("id"u8, _id.AsSpan(0, _idLength));
        writer.WriteString("object"u8, "chat.completion.chunk"u8);
        writer.WriteNumber("created"u8, _created);
        writer.WriteString("model"u8, _model.AsSpan(0, _modelLength));
        return writer;
    }

    private static void EndChunk(Utf8JsonWriter writer, ReadOnlySpan<byte> finishReason)
    {
        PivotWriter.ChunkEnd(writer, finishReason);
        writer.Flush();
    }

    private static void WriteRawString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        writer.WritePropertyName(name);
        if (new RawJson(value).IsString)
        {
            writer.WriteRawValue(value, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
    }
}
