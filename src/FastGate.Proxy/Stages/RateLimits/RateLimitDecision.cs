namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// What a limiter answered for one request (or one reservation of an amount): whether it may pass,
/// and the figures the RateLimit-* and Retry-After fields report. A value type: deciding allocates nothing.
/// </summary>
public readonly struct RateLimitDecision(bool allowed, long limit, long remaining, TimeSpan resetAfter, TimeSpan retryAfter)
{
    public bool Allowed { get; } = allowed;
    /// <summary>The limit's size: requests (or tokens) per period.</summary>
    public long Limit { get; } = limit;
    /// <summary>What could still pass right now after this decision; 0 or more.</summary>
    public long Remaining { get; } = Math.Max(0, remaining);
    /// <summary>Time until the whole limit is available again.</summary>
    public TimeSpan ResetAfter { get; } = resetAfter;
    /// <summary>When denied: time until the same request would pass; zero when allowed.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>Refused because the shared counters could not be reached and <c>on_backend_error = "deny"</c>.</summary>
    public bool BackendUnavailable { get; private init; }

    public static RateLimitDecision Unavailable(long limit) => new(false, limit, 0, TimeSpan.Zero, TimeSpan.Zero) { BackendUnavailable = true };

    /// <summary>Whole seconds, rounded up, as the header fields carry them: "0.2 s left" must not read as "retry now".</summary>
    public static long CeilSeconds(TimeSpan span) => span <= TimeSpan.Zero ? 0 : (span.Ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;

    /// <summary>True when this decision says less room is left than <paramref name="other"/>: the one to report.</summary>
    public bool IsTighterThan(RateLimitDecision other) =>
        Allowed != other.Allowed ? !Allowed : Allowed ? Remaining < other.Remaining : RetryAfter > other.RetryAfter;
}
