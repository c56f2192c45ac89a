using FastGate.Ai.Providers;
using FastGate.Proxy.Config;

namespace FastGate.Ai.Metering;

/// <summary>What an exchange cost by a <c>[[model]]</c>'s price table (USD per million tokens).</summary>
public static class UsageCost
{
    private const decimal PerMillion = 1_000_000m;

    /// <summary>
    /// Uncached input at <c>input</c>, cached input at <c>cached_input</c> (at <c>input</c> when
    /// that is not set), output (reasoning included) at <c>output</c>. Tokens written to a
    /// provider's cache are input at the input price.
    /// </summary>
    public static decimal Of(ModelPriceModel price, in TokenUsage usage)
    {
        var cached = Math.Clamp(usage.CachedInput, 0, Math.Max(usage.Input, 0));
        var cachedPrice = price.CachedInput != 0 ? price.CachedInput : price.Input;
        return ((usage.Input - cached) * price.Input + cached * cachedPrice + usage.Output * price.Output) / PerMillion;
    }
}
