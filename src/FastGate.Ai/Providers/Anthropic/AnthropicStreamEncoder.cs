using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// Pivot chunks as Anthropic's stream events, in the order its SDKs expect: <c>message_start</c>
/// before anything else, then per content block <c>content_block_start</c>, its deltas and
/// <c>content_block_stop</c> (a block closes when the chunks move from text to a tool call or from
/// one tool call to the next), and at the end <c>message_delta</c> with the stop reason and the
/// usage, then <c>message_stop</c>. A failure ends the stream with <c>event: error</c>.
/// </summary>
/// <remarks>Reused per exchange; event data is written into one reused buffer and nothing is allocated per chunk.</remarks>
internal sealed class AnthropicStreamEncoder : FrontStreamEncoder
{
    private const int MaxLabelBytes = 128;

    private enum OpenBlock : byte
    {
        None,
        Text,
        ToolUse,
    }

    private readonly ArrayBufferWriter<byte> _data = new(512);
    private readonly byte[] _id = new byte[MaxLabelBytes];
    private readonly byte[] _model = new byte[MaxLabelBytes];
    private int _idLength;
    private int _modelLength;
    private bool _started;
    private bool _ended;
    private OpenBlock _open;
    private long _openToolIndex;
    // Anthropic numbers content blocks from 0 in the order they open.
    private int _nextBlock;
    private byte[] _stopReason = [];
    // The input figures the provider had reported when message_start was written (none: zeros).
    private TokenUsage _atStart;

    public override void Reset(in RequestFacts facts)
    {
        _idLength = 0;
        _modelLength = 0;
        _started = false;
        _ended = false;
        _open = OpenBlock.None;
        _openToolIndex = -1;
        _nextBlock = 0;
        _stopReason = EndTurn;
        _atStart = default;
    }

    private static readonly byte[] EndTurn = "end_turn"u8.ToArray();
    private static readonly byte[] MaxTokens = "max_tokens"u8.ToArray();
    private static readonly byte[] ToolUse = "tool_use"u8.ToArray();
    private static readonly byte[] Refusal = "refusal"u8.ToArray();

    public override void Chunk(ReadOnlySpan<byte> pivotChunk, in TokenUsage usageSoFar, IBufferWriter<byte> output)
    {
        if (!_started)
        {
            _atStart = usageSoFar;
        }
        Chunk(pivotChunk, output);
    }

    public override void Chunk(ReadOnlySpan<byte> pivotChunk, IBufferWriter<byte> output)
    {
        if (_ended)
        {
            return;
        }
        ReadOnlySpan<byte> id = default, model = default, choice = default;
        try
        {
            var top = new JsonMembers(pivotChunk);
            while (top.Next(out var name, out var value))
            {
                if (name.SequenceEqual("id"u8))
                {
                    id = value;
                }
                else if (name.SequenceEqual("model"u8))
                {
                    model = value;
                }
                else if (name.SequenceEqual("choices"u8))
                {
                    var choices = new JsonItems(value);
                    if (choices.Next(out var first))
                    {
                        choice = first;
                    }
                }
            }
            if (!_started)
            {
                _idLength = new RawJson(id).KeepLabel(_id);
                _modelLength = new RawJson(model).KeepLabel(_model);
                MessageStart(output);
            }
            if (!choice.IsEmpty)
            {
                OnChoice(choice, output);
            }
        }
        catch (JsonException)
        {
            // Pivot chunks are written by the adapters; one that does not parse adds nothing.
        }
    }

    private void OnChoice(ReadOnlySpan<byte> choice, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> delta = default, finishReason = default;
        var members = new JsonMembers(choice);
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("index"u8) && !value.SequenceEqual("0"u8))
            {
                // Anthropic has no n: a message is choice 0 alone, whatever else a provider streamed.
                return;
            }
            if (name.SequenceEqual("delta"u8))
            {
                delta = value;
            }
            else if (name.SequenceEqual("finish_reason"u8))
            {
                finishReason = value;
            }
        }
        if (new RawJson(delta).IsObject)
        {
            var fields = new JsonMembers(delta);
            while (fields.Next(out var name, out var value))
            {
                if (name.SequenceEqual("content"u8) && new RawJson(value).IsString && value.Length > 2)
                {
                    Text(value, output);
                }
                else if (name.SequenceEqual("tool_calls"u8) && new RawJson(value).IsArray)
                {
                    var calls = new JsonItems(value);
                    while (calls.Next(out var call))
                    {
                        ToolCall(call, output);
                    }
                }
            }
        }
        if (new RawJson(finishReason).IsString)
        {
            var reason = new RawJson(finishReason).StringContentOrEmpty;
            _stopReason = reason.SequenceEqual("length"u8) ? MaxTokens
                : reason.SequenceEqual("tool_calls"u8) || reason.SequenceEqual("function_call"u8) ? ToolUse
                : reason.SequenceEqual("content_filter"u8) ? Refusal
                : EndTurn;
        }
    }

    private void Text(ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        if (_open != OpenBlock.Text)
        {
            CloseBlock(output);
            var start = Begin("content_block_start"u8);
            start.WriteNumber("index"u8, _nextBlock);
            start.WriteStartObject("content_block"u8);
            start.WriteString("type"u8, "text"u8);
            start.WriteString("text"u8, ""u8);
            start.WriteEndObject();
            End(start, "content_block_start"u8, output);
            _open = OpenBlock.Text;
            _nextBlock++;
        }
        var writer = Begin("content_block_delta"u8);
        writer.WriteNumber("index"u8, _nextBlock - 1);
        writer.WriteStartObject("delta"u8);
        writer.WriteString("type"u8, "text_delta"u8);
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(text, skipInputValidation: true);
        writer.WriteEndObject();
        End(writer, "content_block_delta"u8, output);
    }

    private void ToolCall(ReadOnlySpan<byte> call, IBufferWriter<byte> output)
    {
        var fields = PivotToolCall.ReadPresent(call);
        ReadOnlySpan<byte> index = fields.Index.Bytes, id = fields.Id.Bytes, name = fields.Name.Bytes, arguments = fields.Arguments.Bytes;
        if (!new RawJson(index).TryGetWholeNumber(out var toolIndex))
        {
            toolIndex = 0;
        }
        // A new index opens a new block; some OpenAI-compatible servers repeat the id on every piece of one call.
        if (_open != OpenBlock.ToolUse || _openToolIndex != toolIndex)
        {
            CloseBlock(output);
            var start = Begin("content_block_start"u8);
            start.WriteNumber("index"u8, _nextBlock);
            start.WriteStartObject("content_block"u8);
            start.WriteString("type"u8, "tool_use"u8);
            start.WritePropertyName("id"u8);
            AnthropicResponseWriter.ToolUseId(start, id, toolIndex);
            start.WritePropertyName("name"u8);
            AnthropicResponseWriter.StringOr(start, name, ""u8);
            start.WriteStartObject("input"u8);
            start.WriteEndObject();
            AnthropicResponseWriter.WriteDirectCaller(start);
            start.WriteEndObject();
            End(start, "content_block_start"u8, output);
            _open = OpenBlock.ToolUse;
            _openToolIndex = toolIndex;
            _nextBlock++;
        }
        if (new RawJson(arguments).IsString && arguments.Length > 2)
        {
            var writer = Begin("content_block_delta"u8);
            writer.WriteNumber("index"u8, _nextBlock - 1);
            writer.WriteStartObject("delta"u8);
            writer.WriteString("type"u8, "input_json_delta"u8);
            writer.WritePropertyName("partial_json"u8);
            writer.WriteRawValue(arguments, skipInputValidation: true);
            writer.WriteEndObject();
            End(writer, "content_block_delta"u8, output);
        }
    }

    public override void Done(in TokenUsage usage, IBufferWriter<byte> output)
    {
        if (_ended)
        {
            return;
        }
        if (!_started)
        {
            _atStart = usage;
            MessageStart(output);
        }
        CloseBlock(output);
        var writer = Begin("message_delta"u8);
        writer.WriteStartObject("delta"u8);
        writer.WriteString("stop_reason"u8, _stopReason);
        writer.WriteNull("stop_sequence"u8);
        writer.WriteEndObject();
        writer.WriteStartObject("usage"u8);
        AnthropicUsage.WriteAnthropicFigures(writer, usage);
        writer.WriteEndObject();
        End(writer, "message_delta"u8, output);
        End(Begin("message_stop"u8), "message_stop"u8, output);
        _ended = true;
    }

    public override void Error(in AiError error, IBufferWriter<byte> output)
    {
        if (_ended)
        {
            return;
        }
        _data.ResetWrittenCount();
        var writer = JsonWriters.For(_data);
        AnthropicErrors.WriteObject(writer, error);
        writer.Flush();
        SseWriter.Event(output, "error"u8, _data.WrittenSpan);
        _ended = true;
    }

    private void MessageStart(IBufferWriter<byte> output)
    {
        _started = true;
        var writer = Begin("message_start"u8);
        writer.WriteStartObject("message"u8);
        writer.WriteString("id"u8, _idLength > 0 ? _id.AsSpan(0, _idLength) : "msg_fastgate"u8);
        writer.WriteString("type"u8, "message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("model"u8, _model.AsSpan(0, _modelLength));
        writer.WriteStartArray("content"u8);
        writer.WriteEndArray();
        writer.WriteNull("stop_reason"u8);
        writer.WriteNull("stop_sequence"u8);
        // The input figures the provider has already told (Anthropic's message_start, Gemini's first
        // usageMetadata); else 0, as OpenAI-kind and Ollama providers tell usage only at their end. Not
        // an estimate: a client that reads only this event would keep a made-up count as the real one,
        // and counting the prompt here would put a tokenizer before the first token. message_delta
        // carries the provider's figures, input included, and the SDKs take them from there.
        writer.WriteStartObject("usage"u8);
        var atStart = _atStart;
        atStart.Output = 0;
        AnthropicUsage.WriteAnthropicFigures(writer, atStart);
        writer.WriteEndObject();
        writer.WriteEndObject();
        End(writer, "message_start"u8, output);
    }

    private void CloseBlock(IBufferWriter<byte> output)
    {
        if (_open == OpenBlock.None)
        {
            return;
        }
        var writer = Begin("content_block_stop"u8);
        writer.WriteNumber("index"u8, _nextBlock - 1);
        End(writer, "content_block_stop"u8, output);
        _open = OpenBlock.None;
        _openToolIndex = -1;
    }

    /// <summary>Starts an event's data object with its type.</summary>
    private Utf8JsonWriter Begin(ReadOnlySpan<byte> type)
    {
        _data.ResetWrittenCount();
        var writer = JsonWriters.For(_data);
        writer.WriteStartObject();
        writer.WriteString("type"u8, type);
        return writer;
    }

    private void End(Utf8JsonWriter writer, ReadOnlySpan<byte> type, IBufferWriter<byte> output)
    {
        writer.WriteEndObject();
        writer.Flush();
        SseWriter.Event(output, type, _data.WrittenSpan);
    }
}
