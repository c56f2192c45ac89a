using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>One element of a Gemini candidate's <c>parts</c>: text (a thought summary when <c>thought</c> is true) or a <c>functionCall</c>.</summary>
internal ref struct GeminiPart
{
    public RawJson Text;
    public bool Thought;
    public RawJson FunctionName;
    /// <summary>The call's <c>args</c> object; missing when the function takes none.</summary>
    public RawJson FunctionArgs;

    public readonly bool IsAnswerText => Text.IsString && !Thought;
    public readonly bool IsFunctionCall => FunctionName.IsString;

    public static GeminiPart Scan(RawJson part)
    {
        if (!part.IsObject)
        {
            throw new JsonException("a part is not an object");
        }
        var fields = new GeminiPart();
        var document = part.Bytes;
        var reader = part.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("text"u8))
            {
                fields.Text = RawJson.CaptureProperty(ref reader, document);
            }
            else if (reader.ValueTextEquals("thought"u8))
            {
                reader.Read();
                fields.Thought = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("functionCall"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException("functionCall is not an object");
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("name"u8)) fields.FunctionName = RawJson.CaptureProperty(ref reader, document);
                    else if (reader.ValueTextEquals("args"u8)) fields.FunctionArgs = RawJson.CaptureProperty(ref reader, document);
                    else RawJson.SkipProperty(ref reader);
                }
                if (!fields.FunctionName.IsString || (fields.FunctionArgs.Exists && !fields.FunctionArgs.IsObject && !fields.FunctionArgs.IsNull))
                {
                    throw new JsonException("functionCall has no name or its args are not an object");
                }
            }
            else
            {
                RawJson.SkipProperty(ref reader);
            }
        }
        return fields;
    }
}
