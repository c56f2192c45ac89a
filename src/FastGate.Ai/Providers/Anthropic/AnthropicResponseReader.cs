using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// An Anthropic Messages answer (a <c>message</c> object) as the pivot <c>chat.completion</c>:
/// its text blocks joined into the content, its <c>tool_use</c> blocks as tool calls whose
/// arguments are the input object as a JSON string. Thinking blocks are the model's hidden work,
/// not the answer: they are left out, and Anthropic's output_tokens already count them.
/// </summary>
internal static class AnthropicResponseReader
{
    public static bool TryRead(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        try
        {
            return TryReadCore(body, pivot, ref usage, out error);
        }
        catch (JsonException)
        {
            error = Garbage();
            return false;
        }
    }

    /// <summary>count_tokens: <c>{"input_tokens":N}</c>.</summary>
    public static bool TryReadCount(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        error = default;
        try
        {
            var members = new JsonMembers(body);
            while (members.Next(out var name, out var value))
            {
                if (name.SequenceEqual("input_tokens"u8) && new RawJson(value).TryGetWholeNumber(out var count))
                {
                    usage.Input = count;
                    usage.Reported = true;
                    var writer = JsonWriters.For(pivot);
                    writer.WriteStartObject();
                    writer.WriteNumber("input_tokens"u8, count);
                    writer.WriteEndObject();
                    writer.Flush();
                    return true;
                }
            }
        }
        catch (JsonException)
        {
        }
        error = Garbage();
        return false;
    }

    private static AiError Garbage() => new(502, "api_error", "the provider's answer is not an Anthropic message");

    private static bool TryReadCore(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        ReadOnlySpan<byte> id = default, model = default, content = default, stopReason = default, usageJson = default, type = default;
        var top = new JsonMembers(body);
        while (top.Next(out var name, out var value))
        {
            switch (name.Length)
            {
                case 2 when name.SequenceEqual("id"u8): id = value; break;
                case 4 when name.SequenceEqual("type"u8): type = value; break;
                case 5 when name.SequenceEqual("model"u8): model = value; break;
                case 7 when name.SequenceEqual("content"u8): content = value; break;
                case 11 when name.SequenceEqual("stop_reason"u8): stopReason = value; break;
                case 5 when name.SequenceEqual("usage"u8): usageJson = value; break;
            }
        }
        if (!new RawJson(content).IsArray || (!type.IsEmpty && !new RawJson(type).StringIsVerbatim("message"u8)))
        {
            error = Garbage();
            return false;
        }
        error = default;
        var figures = default(AnthropicUsage);
        if (new RawJson(usageJson).IsObject)
        {
            figures.Read(usageJson);
            figures.To(ref usage);
        }

        // Text: one block is copied as written; several are joined as their escaped insides, which
        // concatenate to one valid JSON string.
        var textBlocks = 0;
        var textBytes = 0;
        ReadOnlySpan<byte> onlyText = default;
        var toolUses = 0;
        var blocks = new JsonItems(content);
        while (blocks.Next(out var block))
        {
            var kind = BlockKind(block, out var text);
            if (kind == 1)
            {
                textBlocks++;
                textBytes += text.Length - 2;
                onlyText = text;
            }
            else if (kind == 2)
            {
                toolUses++;
            }
        }

        var writer = JsonWriters.For(pivot);
        writer.WriteStartObject();
        writer.WritePropertyName("id"u8);
        if (new RawJson(id).IsString)
        {
            writer.WriteRawValue(id, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue("msg"u8);
        }
        writer.WriteString("object"u8, "chat.completion"u8);
        writer.WriteNumber("created"u8, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        writer.WritePropertyName("model"u8);
        if (new RawJson(model).IsString)
        {
            writer.WriteRawValue(model, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
        writer.WriteStartArray("choices"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, 0);
        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WritePropertyName("content"u8);
        if (textBlocks == 0)
        {
            writer.WriteNullValue();
        }
        else if (textBlocks == 1)
        {
            writer.WriteRawValue(onlyText, skipInputValidation: true);
        }
        else
        {
            WriteJoinedText(writer, content, textBytes);
        }
        if (toolUses > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            blocks = new JsonItems(content);
            while (blocks.Next(out var block))
            {
                WriteToolCall(writer, block);
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        writer.WritePropertyName("finish_reason"u8);
        if (new RawJson(stopReason).IsString)
        {
            writer.WriteStringValue(AnthropicStopReason.ToFinishReason(new RawJson(stopReason).StringContentOrEmpty));
        }
        else
        {
            writer.WriteStringValue(toolUses > 0 ? "tool_calls"u8 : "stop"u8);
        }
        writer.WriteEndObject();
        writer.WriteEndArray();
        if (figures.Seen)
        {
            PivotWriter.Usage(writer, usage);
        }
        writer.WriteEndObject();
        writer.Flush();
        return true;
    }

    /// <summary>1 for a text block (its text value out), 2 for a tool_use block, 0 for anything else.</summary>
    private static int BlockKind(ReadOnlySpan<byte> block, out ReadOnlySpan<byte> text)
    {
        text = default;
        var kind = 0;
        var members = new JsonMembers(block);
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("type"u8))
            {
                var type = new RawJson(value);
                kind = type.StringIsVerbatim("text"u8) ? 1 : type.StringIsVerbatim("tool_use"u8) ? 2 : 0;
            }
            else if (name.SequenceEqual("text"u8))
            {
                text = value;
            }
        }
        return kind == 1 && !new RawJson(text).IsString ? 0 : kind;
    }

    private static void WriteJoinedText(Utf8JsonWriter writer, ReadOnlySpan<byte> content, int textBytes)
    {
        var joined = ArrayPool<byte>.Shared.Rent(textBytes + 2);
        var at = 0;
        joined[at++] = (byte)'"';
        var blocks = new JsonItems(content);
        while (blocks.Next(out var block))
        {
            if (BlockKind(block, out var text) == 1)
            {
                var inner = new RawJson(text).StringContentOrEmpty;
                inner.CopyTo(joined.AsSpan(at));
                at += inner.Length;
            }
        }
        joined[at++] = (byte)'"';
        writer.WriteRawValue(joined.AsSpan(0, at), skipInputValidation: true);
        ArrayPool<byte>.Shared.Return(joined);
    }

    private static void WriteToolCall(Utf8JsonWriter writer, ReadOnlySpan<byte> block)
    {
        ReadOnlySpan<byte> id = default, name = default, input = default;
        var isToolUse = false;
        var members = new JsonMembers(block);
        while (members.Next(out var key, out var value))
        {
            switch (key.Length)
            {
                case 4 when key.SequenceEqual("type"u8): isToolUse = new RawJson(value).StringIsVerbatim("tool_use"u8); break;
                case 2 when key.SequenceEqual("id"u8): id = value; break;
                case 4 when key.SequenceEqual("name"u8): name = value; break;
                case 5 when key.SequenceEqual("input"u8): input = value; break;
            }
        }
        if (!isToolUse)
        {
            return;
        }
        writer.WriteStartObject();
        writer.WritePropertyName("id"u8);
        WriteStringOr(writer, id);
        writer.WriteString("type"u8, "function"u8);
        writer.WriteStartObject("function"u8);
        writer.WritePropertyName("name"u8);
        WriteStringOr(writer, name);
        // The input object as OpenAI's arguments string: its JSON text, escaped into a string.
        writer.WriteString("arguments"u8, new RawJson(input).IsObject ? input : "{}"u8);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteStringOr(Utf8JsonWriter writer, ReadOnlySpan<byte> value)
    {
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
