using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// Gemini's <c>Candidate.FinishReason</c> as an OpenAI <c>finish_reason</c>. A function call
/// ends the turn with STOP; OpenAI says <c>tool_calls</c> then. Every block (SAFETY, RECITATION,
/// BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY) is <c>content_filter</c>; MAX_TOKENS is
/// <c>length</c>; the rest (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, ...) end as <c>stop</c>.
/// </summary>
internal static class GeminiFinishReason
{
    public static ReadOnlySpan<byte> ToPivot(RawJson finishReason, bool calledFunction)
    {
        if (finishReason.StringEquals("MAX_TOKENS"u8))
        {
            return PivotWriter.Length;
        }
        if (finishReason.StringEquals("SAFETY"u8) || finishReason.StringEquals("RECITATION"u8)
            || finishReason.StringEquals("BLOCKLIST"u8) || finishReason.StringEquals("PROHIBITED_CONTENT"u8)
            || finishReason.StringEquals("SPII"u8) || finishReason.StringEquals("IMAGE_SAFETY"u8))
        {
            return PivotWriter.ContentFilter;
        }
        return calledFunction ? PivotWriter.ToolCalls : PivotWriter.Stop;
    }

    /// <summary>The event carries a finish reason: Gemini's last stream event does, the others do not.</summary>
    public static bool IsPresent(RawJson finishReason) => finishReason.IsString;
}
