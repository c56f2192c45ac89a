using System.IO.Hashing;
using System.Text;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// A route's concurrency limit compiled: at most <see cref="Max"/> exchanges in flight per key, on
/// this instance (in-flight counts are local: a shared count would outlive a crashed instance).
/// </summary>
public sealed class ConcurrencyRule(string identity, int max, RateLimitKeySelector key)
{
    public ulong Id { get; } = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(identity));
    public int Max { get; } = max;
    public RateLimitKeySelector Key { get; } = key;
}
