using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>One element of an assistant message's <c>tool_calls</c>: <c>{id, type, function: {name, arguments}}</c>.</summary>
internal ref struct PivotToolCall
{
    public RawJson Id;
    /// <summary>The function's name (a JSON string).</summary>
    public RawJson Name;
    /// <summary>The arguments: a JSON string holding a JSON object, as OpenAI sends them.</summary>
    public RawJson Arguments;
    /// <summary>A stream delta's position of the call (<see cref="ReadPresent"/> only).</summary>
    public RawJson Index;

    public static PivotToolCall Scan(RawJson call)
    {
        if (!call.IsObject)
        {
            throw new JsonException("a tool call is not a JSON object");
        }
        var fields = new PivotToolCall();
        var document = call.Bytes;
        var reader = call.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                fields.Id = RawJson.CaptureProperty(ref reader, document);
            }
            else if (reader.ValueTextEquals("function"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException("a tool call's function is not a JSON object");
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("name"u8)) fields.Name = RawJson.CaptureProperty(ref reader, document);
                    else if (reader.ValueTextEquals("arguments"u8)) fields.Arguments = RawJson.CaptureProperty(ref reader, document);
                    else RawJson.SkipProperty(ref reader);
                }
            }
            else
            {
                RawJson.SkipProperty(ref reader);
            }
        }
        if (!fields.Name.IsString)
        {
            throw new TranslationException("a tool call has no function name");
        }
        return fields;
    }

    /// <summary>
    /// The fields present, whatever is missing: a call that is not an object has none, and nothing is
    /// checked (the Anthropic translations write what there is). Member names are compared as written
    /// (<see cref="JsonMembers"/>).
    /// </summary>
    public static PivotToolCall ReadPresent(ReadOnlySpan<byte> call)
    {
        var fields = new PivotToolCall();
        var members = new JsonMembers(call);
        while (members.Next(out var key, out var value))
        {
            if (key.SequenceEqual("index"u8))
            {
                fields.Index = new RawJson(value);
            }
            else if (key.SequenceEqual("id"u8))
            {
                fields.Id = new RawJson(value);
            }
            else if (key.SequenceEqual("function"u8))
            {
                var function = new JsonMembers(value);
                while (function.Next(out var functionKey, out var functionValue))
                {
                    if (functionKey.SequenceEqual("name"u8))
                    {
                        fields.Name = new RawJson(functionValue);
                    }
                    else if (functionKey.SequenceEqual("arguments"u8))
                    {
                        fields.Arguments = new RawJson(functionValue);
                    }
                }
            }
        }
        return fields;
    }

    /// <summary>OpenAI carries a call's arguments as a string of JSON; Gemini and Ollama want the object itself.</summary>
    public static void WriteArgumentsObject(RawJson arguments, Utf8JsonWriter writer)
    {
        if (arguments.IsObject)
        {
            writer.WriteRawValue(arguments.Bytes, skipInputValidation: true);
            return;
        }
        if (!arguments.IsString)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }
        var text = arguments.Unescape(default, out var rented);
        try
        {
            if (text.Trim(" \t\r\n"u8).IsEmpty)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else if (PivotText.IsJsonObject(text, allowArray: false, out var json))
            {
                writer.WriteRawValue(json, skipInputValidation: true);
            }
            else
            {
                throw new TranslationException("a tool call's arguments are not a JSON object");
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
