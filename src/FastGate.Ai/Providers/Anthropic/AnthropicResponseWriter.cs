using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// The pivot <c>chat.completion</c> as an Anthropic <c>message</c> object: the content as one text
/// block, each tool call as a <c>tool_use</c> block whose input is the arguments string parsed,
/// the finish reason as the stop reason, and the usage with Anthropic's split of the input tokens.
/// </summary>
internal static class AnthropicResponseWriter
{
    public static void Write(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> id = default, model = default, content = default, toolCalls = default, finishReason = default;
        try
        {
            var top = new JsonMembers(pivot);
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
                    if (choices.Next(out var choice))
                    {
                        ReadChoice(choice, ref content, ref toolCalls, ref finishReason);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // The pivot is ours, written by an adapter; an unreadable one still gets a well-formed (empty) message.
        }

        var writer = JsonWriters.For(output);
        writer.WriteStartObject();
        writer.WritePropertyName("id"u8);
        StringOr(writer, id, "msg_fastgate"u8);
        writer.WriteString("type"u8, "message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WritePropertyName("model"u8);
        StringOr(writer, model, ""u8);
        writer.WriteStartArray("content"u8);
        if (new RawJson(content).IsString && content.Length > 2)
        {
            TextBlock(writer, content);
        }
        else if (new RawJson(content).IsArray)
        {
            var parts = new JsonItems(content);
            while (parts.Next(out var part))
            {
                ReadOnlySpan<byte> type = default, text = default;
                var members = new JsonMembers(part);
                while (members.Next(out var name, out var value))
                {
                    if (name.SequenceEqual("type"u8))
                    {
                        type = value;
                    }
                    else if (name.SequenceEqual("text"u8))
                    {
                        text = value;
                    }
                }
                if (new RawJson(type).StringIsVerbatim("text"u8) && new RawJson(text).IsString)
                {
                    TextBlock(writer, text);
                }
            }
        }
        if (new RawJson(toolCalls).IsArray)
        {
            var calls = new JsonItems(toolCalls);
            var number = 0;
            while (calls.Next(out var call))
            {
                ToolUseBlock(writer, call, number++);
            }
        }
        writer.WriteEndArray();
        writer.WriteString("stop_reason"u8, AnthropicStopReason.FromFinishReason(new RawJson(finishReason).StringContentOrEmpty));
        writer.WriteNull("stop_sequence"u8);
        writer.WriteStartObject("usage"u8);
        AnthropicUsage.WriteAnthropicFigures(writer, usage);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void ReadChoice(ReadOnlySpan<byte> choice, ref ReadOnlySpan<byte> content, ref ReadOnlySpan<byte> toolCalls, ref ReadOnlySpan<byte> finishReason)
    {
        var members = new JsonMembers(choice);
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("finish_reason"u8))
            {
                finishReason = value;
            }
            else if (name.SequenceEqual("message"u8))
            {
                var message = new JsonMembers(value);
                while (message.Next(out var key, out var field))
                {
                    if (key.SequenceEqual("content"u8))
                    {
                        content = field;
                    }
                    else if (key.SequenceEqual("tool_calls"u8))
                    {
                        toolCalls = field;
                    }
                }
            }
        }
    }

    private static void TextBlock(Utf8JsonWriter writer, ReadOnlySpan<byte> text)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(text, skipInputValidation: true);
        writer.WriteEndObject();
    }

    private static void ToolUseBlock(Utf8JsonWriter writer, ReadOnlySpan<byte> call, long number)
    {
        var fields = PivotToolCall.ReadPresent(call);
        ReadOnlySpan<byte> id = fields.Id.Bytes, name = fields.Name.Bytes, arguments = fields.Arguments.Bytes;
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_use"u8);
        writer.WritePropertyName("id"u8);
        ToolUseId(writer, id, number);
        writer.WritePropertyName("name"u8);
        StringOr(writer, name, ""u8);
        writer.WritePropertyName("input"u8);
        AnthropicRequestWriter.WriteArgumentsAsObject(writer, arguments);
        WriteDirectCaller(writer);
        writer.WriteEndObject();
    }

    /// <summary>
    /// <c>"caller":{"type":"direct"}</c>: the model called the tool itself (not code it ran). The API
    /// sends it on every tool_use block and the Anthropic .NET SDK's validation requires it.
    /// </summary>
    internal static void WriteDirectCaller(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("caller"u8);
        writer.WriteString("type"u8, "direct"u8);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The call's id, or for a provider that gives none (Ollama, Gemini) <c>toolu_fastgate_N</c>:
    /// Anthropic clients match each tool_result to its tool_use by id, so ids must differ.
    /// </summary>
    internal static void ToolUseId(Utf8JsonWriter writer, ReadOnlySpan<byte> id, long number)
    {
        if (new RawJson(id).IsString && id.Length > 2)
        {
            writer.WriteRawValue(id, skipInputValidation: true);
            return;
        }
        Span<byte> made = stackalloc byte[40];
        "toolu_fastgate_"u8.CopyTo(made);
        number.TryFormat(made[15..], out var digits);
        writer.WriteStringValue(made[..(15 + digits)]);
    }

    internal static void StringOr(Utf8JsonWriter writer, ReadOnlySpan<byte> value, ReadOnlySpan<byte> fallback)
    {
        if (new RawJson(value).IsString)
        {
            writer.WriteRawValue(value, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(fallback);
        }
    }
}
