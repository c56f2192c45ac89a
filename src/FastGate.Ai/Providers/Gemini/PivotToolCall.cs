using System.Text.Json;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>One element of an assistant message's <c>tool_calls</c>: <c>{id, type, function: {name, arguments}}</c>.</summary>
internal ref struct PivotToolCall
{
    public RawJson Id;
    /// <summary>The function's name (a JSON string).</summary>
    public RawJson Name;
    /// <summary>The arguments: a JSON string holding a JSON object, as OpenAI sends them.</summary>
    public RawJson Arguments;

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
}
