namespace FastGate.Ai.Providers.Anthropic;

/// <summary>Anthropic's <c>stop_reason</c> and OpenAI's <c>finish_reason</c>, each as the other.</summary>
internal static class AnthropicStopReason
{
    /// <summary>
    /// <c>end_turn</c>, <c>stop_sequence</c> and <c>pause_turn</c> are <c>stop</c>; <c>max_tokens</c>
    /// is <c>length</c>; <c>tool_use</c> is <c>tool_calls</c>; <c>refusal</c> is <c>content_filter</c>.
    /// </summary>
    public static ReadOnlySpan<byte> ToFinishReason(ReadOnlySpan<byte> stopReason)
    {
        if (stopReason.SequenceEqual("max_tokens"u8) || stopReason.SequenceEqual("model_context_window_exceeded"u8))
        {
            return "length"u8;
        }
        if (stopReason.SequenceEqual("tool_use"u8))
        {
            return "tool_calls"u8;
        }
        if (stopReason.SequenceEqual("refusal"u8))
        {
            return "content_filter"u8;
        }
        return "stop"u8;
    }

    public static ReadOnlySpan<byte> FromFinishReason(ReadOnlySpan<byte> finishReason)
    {
        if (finishReason.SequenceEqual("length"u8))
        {
            return "max_tokens"u8;
        }
        if (finishReason.SequenceEqual("tool_calls"u8) || finishReason.SequenceEqual("function_call"u8))
        {
            return "tool_use"u8;
        }
        if (finishReason.SequenceEqual("content_filter"u8))
        {
            return "refusal"u8;
        }
        return "end_turn"u8;
    }
}
