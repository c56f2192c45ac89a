using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// Gemini's <c>usageMetadata</c> as <see cref="TokenUsage"/>. <c>promptTokenCount</c> already
/// holds the cached tokens (<c>cachedContentTokenCount</c> is the part of it read from cache);
/// thinking tokens (<c>thoughtsTokenCount</c>) are billed as output but not counted in
/// <c>candidatesTokenCount</c>, so output is their sum; tokens of tool results Gemini fetched
/// itself (<c>toolUsePromptTokenCount</c>) are billed as input.
/// </summary>
/// <remarks>
/// Gemini repeats <c>usageMetadata</c> in every stream event, the early ones with the prompt
/// count only: the caller marks the usage <see cref="TokenUsage.Reported"/> once the answer is
/// whole, so a stream cut half-way is estimated rather than recorded with no output.
/// </remarks>
internal static class GeminiUsage
{
    /// <summary>Takes the figures of <paramref name="usageMetadata"/>; false, changing nothing, when there is none.</summary>
    public static bool Read(RawJson usageMetadata, ref TokenUsage usage)
    {
        if (!usageMetadata.IsObject)
        {
            return false;
        }
        long prompt = 0, cached = 0, candidates = 0, thoughts = 0, toolUse = 0;
        var reader = usageMetadata.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("promptTokenCount"u8)) prompt = Count(ref reader);
            else if (reader.ValueTextEquals("cachedContentTokenCount"u8)) cached = Count(ref reader);
            else if (reader.ValueTextEquals("candidatesTokenCount"u8)) candidates = Count(ref reader);
            else if (reader.ValueTextEquals("thoughtsTokenCount"u8)) thoughts = Count(ref reader);
            else if (reader.ValueTextEquals("toolUsePromptTokenCount"u8)) toolUse = Count(ref reader);
            else RawJson.SkipProperty(ref reader);
        }
        usage.Input = prompt + toolUse;
        usage.CachedInput = cached;
        usage.Output = candidates + thoughts;
        usage.Reasoning = thoughts;
        return true;
    }

    private static long Count(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || value < 0)
        {
            throw new JsonException("a token count is not a whole number");
        }
        return value;
    }
}
