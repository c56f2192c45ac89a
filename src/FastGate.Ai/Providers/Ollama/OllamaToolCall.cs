using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Ollama;

/// <summary>One of Ollama's <c>message.tool_calls</c>: <c>{function: {name, arguments: {...}}}</c> (arguments an object, not a string).</summary>
internal ref struct OllamaToolCall
{
    public RawJson Name;
    public RawJson Arguments;

    /// <summary>The arguments' JSON text; empty when the call has none.</summary>
    public readonly ReadOnlySpan<byte> ArgumentsJson => Arguments.IsObject ? Arguments.Bytes : default;

    public static OllamaToolCall Scan(RawJson call)
    {
        if (!call.IsObject)
        {
            throw new JsonException("a tool call is not an object");
        }
        var fields = new OllamaToolCall();
        var reader = call.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("function"u8))
            {
                RawJson.SkipProperty(ref reader);
                continue;
            }
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("a tool call's function is not an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8)) fields.Name = RawJson.CaptureProperty(ref reader, call.Bytes);
                else if (reader.ValueTextEquals("arguments"u8)) fields.Arguments = RawJson.CaptureProperty(ref reader, call.Bytes);
                else RawJson.SkipProperty(ref reader);
            }
        }
        if (!fields.Name.IsString || (fields.Arguments.Exists && !fields.Arguments.IsObject && !fields.Arguments.IsNull))
        {
            throw new JsonException("a tool call has no name or its arguments are not an object");
        }
        return fields;
    }
}
