namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// The generic cell rate algorithm (GCRA, ITU-T I.371), the limiter's one rule, shared by the
/// local store and (as Lua) the Redis script.
/// <para>
/// Each key keeps one number, its theoretical arrival time (TAT): the moment by which everything
/// admitted so far would have been "paid off" at the limit's steady rate of one unit per interval
/// T = period / limit. Admitting n units moves TAT to max(TAT, now) + n·T; they are admitted when
/// the new TAT is at most one period (the tolerance, limit·T) ahead of now. So a fresh key may
/// burst the whole limit at once and then earns one unit back every T: the same long-run rate as a
/// token bucket of size limit, with exact sliding behaviour (no doubled burst at a fixed window's
/// edge, no two-window approximation) and one 64-bit number of state, which is why one
/// compare-and-swap makes a decision atomic. Amounts make it serve token limits too: an AI stage
/// reserves an estimate (n = estimate), and reconciles with <see cref="Adjust"/> by the difference
/// once the real usage is known, which moves TAT back (a refund) or further ahead (debt that the
/// next requests wait out).
/// </para>
/// </summary>
public static class Gcra
{
    /// <summary>Decides whether <paramref name="amount"/> units pass for a key whose TAT is <paramref name="tat"/>; <paramref name="newTat"/> is the TAT to store when they do.</summary>
    public static RateLimitDecision Decide(RateLimitPolicy policy, long tat, long now, long amount, out long newTat)
    {
        var start = Math.Max(tat, now);
        newTat = start + amount * policy.IntervalNs;
        var ahead = newTat - now;
        if (ahead > policy.ToleranceNs)
        {
            // Denied: TAT stays; the request would conform once now reaches newTat - tolerance.
            var remaining = (policy.ToleranceNs - (start - now)) / policy.IntervalNs;
            return new RateLimitDecision(false, policy.Limit, remaining, FromNs(start - now), FromNs(ahead - policy.ToleranceNs));
        }
        return new RateLimitDecision(true, policy.Limit, (policy.ToleranceNs - ahead) / policy.IntervalNs, FromNs(ahead), TimeSpan.Zero);
    }

    /// <summary>The TAT after charging (positive) or refunding (negative) <paramref name="delta"/> units without a check.</summary>
    public static long Adjust(RateLimitPolicy policy, long tat, long now, long delta) => Math.Max(0, Math.Max(tat, now) + delta * policy.IntervalNs);

    public static TimeSpan FromNs(long ns) => TimeSpan.FromTicks(ns <= 0 ? 0 : (ns + 99) / 100);
}
