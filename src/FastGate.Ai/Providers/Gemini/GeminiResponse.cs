using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// The fields of a Gemini <c>GenerateContentResponse</c> (a whole answer, or one SSE event of a
/// stream) the translation reads: the candidates (read one by one with
/// <see cref="GeminiCandidate"/>), the usage, the model version, a prompt block, an error. Throws
/// <see cref="JsonException"/> when the JSON is malformed or a field has the wrong type.
/// </summary>
internal ref struct GeminiResponse
{
    /// <summary><c>candidates</c> (an array), missing when the event has none.</summary>
    public RawJson Candidates;
    public bool HasCandidate;
    public RawJson UsageMetadata;
    public RawJson ModelVersion;
    /// <summary><c>promptFeedback.blockReason</c>: the prompt itself was blocked and no candidate comes.</summary>
    public RawJson BlockReason;
    public RawJson Error;

    public static GeminiResponse Scan(ReadOnlySpan<byte> body)
    {
        var fields = new GeminiResponse();
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not a JSON object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("candidates"u8))
            {
                fields.Candidates = RawJson.CaptureProperty(ref reader, body);
                if (!fields.Candidates.IsArray)
                {
                    throw new JsonException("candidates is not an array");
                }
                var items = fields.Candidates.Reader();
                fields.HasCandidate = items.Read() && items.TokenType != JsonTokenType.EndArray;
            }
            else if (reader.ValueTextEquals("usageMetadata"u8))
            {
                fields.UsageMetadata = RawJson.CaptureProperty(ref reader, body);
                if (!fields.UsageMetadata.IsObject && !fields.UsageMetadata.IsNull)
                {
                    throw new JsonException("usageMetadata is not an object");
                }
            }
            else if (reader.ValueTextEquals("modelVersion"u8))
            {
                fields.ModelVersion = RawJson.CaptureProperty(ref reader, body);
            }
            else if (reader.ValueTextEquals("promptFeedback"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("blockReason"u8)) fields.BlockReason = RawJson.CaptureProperty(ref reader, body);
                    else RawJson.SkipProperty(ref reader);
                }
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                fields.Error = RawJson.CaptureProperty(ref reader, body);
            }
            else
            {
                RawJson.SkipProperty(ref reader);
            }
        }
        RawJson.ExpectEnd(ref reader);
        return fields;
    }
}
