namespace FastGate.Ai.Metering;

/// <summary>Counts tokens with a real tokenizer when a provider reports none; the record is then marked estimated.</summary>
public interface ITokenEstimator
{
    /// <summary>Tokens of a pivot (OpenAI chat) request's prompt: every message's text and the per-message overhead.</summary>
    long CountPrompt(ReadOnlySpan<byte> pivotRequest, string model);

    /// <summary>Tokens of UTF-8 text (JSON string escapes may be left in).</summary>
    long CountText(ReadOnlySpan<byte> utf8Text, string model);
}
