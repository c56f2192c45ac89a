namespace FastGate.Ai.Metering;

/// <summary>The <c>type</c> label of <c>fastgate_ai_tokens_total</c>.</summary>
internal enum AiTokenType : byte
{
    Input,
    Output,
    CachedInput,
    Reasoning,
}
