using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// One element of a Gemini response's <c>candidates</c>: its index, parts and finish reason.
/// <c>index</c> is the candidate's number among the <c>candidateCount</c> asked for; protobuf's
/// JSON leaves a 0 out, so a candidate without one is taken to be the one at its place in the
/// array (one candidate, the common case, is index 0 either way). Throws
/// <see cref="JsonException"/> when the candidate has the wrong shape.
/// </summary>
internal ref struct GeminiCandidate
{
    /// <summary>The most candidates one answer may have: Gemini takes 1 to 8; more is not an answer to read.</summary>
    public const int MaxCandidates = 8;

    public int Index;
    /// <summary><c>content.parts</c> (an array), missing when the candidate has no content.</summary>
    public RawJson Parts;
    public RawJson FinishReason;

    /// <summary>Reads the candidates of <paramref name="candidates"/> in order: the reader stands on the array's start.</summary>
    public static bool Next(ref Utf8JsonReader reader, RawJson candidates, ref int position, out GeminiCandidate candidate)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            candidate = default;
            return false;
        }
        candidate = Scan(RawJson.Capture(ref reader, candidates.Bytes), position++);
        return true;
    }

    private static GeminiCandidate Scan(RawJson value, int position)
    {
        if (!value.IsObject)
        {
            throw new JsonException("a candidate is not an object");
        }
        var fields = new GeminiCandidate { Index = position };
        var document = value.Bytes;
        var reader = value.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out fields.Index))
                {
                    throw new JsonException("a candidate's index is not a whole number");
                }
            }
            else if (reader.ValueTextEquals("finishReason"u8))
            {
                fields.FinishReason = RawJson.CaptureProperty(ref reader, document);
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException("a candidate's content is not an object");
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("parts"u8))
                    {
                        fields.Parts = RawJson.CaptureProperty(ref reader, document);
                        if (!fields.Parts.IsArray)
                        {
                            throw new JsonException("parts is not an array");
                        }
                    }
                    else
                    {
                        RawJson.SkipProperty(ref reader);
                    }
                }
            }
            else
            {
                RawJson.SkipProperty(ref reader);
            }
        }
        if ((uint)fields.Index >= MaxCandidates)
        {
            throw new JsonException("a candidate's index is out of range");
        }
        return fields;
    }
}
