using FastGate.Ai.Providers;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>The figures of a <see cref="TokenUsage"/> as a value with equality, for assertions.</summary>
internal readonly record struct TokenUsageView(long Input, long Output, long CachedInput, long Reasoning, bool Reported)
{
    public static TokenUsageView Of(in TokenUsage usage) => new(usage.Input, usage.Output, usage.CachedInput, usage.Reasoning, usage.Reported);
}
