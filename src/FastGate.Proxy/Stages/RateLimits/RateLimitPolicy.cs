using System.IO.Hashing;
using System.Text;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// One limit as the limiter applies it: <see cref="Limit"/> units per <see cref="Period"/>, for
/// each key. Identified by a 64-bit id derived from a stable text (the route's name and the limit
/// as written), so the counters of a limit that stays the same survive a reload and are shared by
/// every instance on one Redis, while a changed limit starts fresh. Immutable and stateless: the
/// counters live in the stores.
/// </summary>
public sealed class RateLimitPolicy
{
    public RateLimitPolicy(string identity, long limit, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Identity = identity;
        Id = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(identity));
        IdHex = Id.ToString("x16");
        Limit = limit;
        Period = period;
        var periodNs = period.Ticks * 100;
        IntervalNs = periodNs / limit;
        ArgumentOutOfRangeException.ThrowIfLessThan(IntervalNs, 1, nameof(period));
        ToleranceNs = IntervalNs * limit;
    }

    public string Identity { get; }
    public ulong Id { get; }
    /// <summary>The id as 16 hex digits, for Redis keys.</summary>
    public string IdHex { get; }
    public long Limit { get; }
    public TimeSpan Period { get; }
    /// <summary>GCRA's emission interval: one unit of the limit is earned back every this many nanoseconds.</summary>
    public long IntervalNs { get; }
    /// <summary>GCRA's burst tolerance: how far ahead of now the theoretical arrival time may run (the whole limit).</summary>
    public long ToleranceNs { get; }

    public override string ToString() => Identity;
}
