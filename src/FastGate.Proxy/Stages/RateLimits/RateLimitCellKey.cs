namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>A counter's address in the local store: the limit's id and the 64-bit hash of the key's bytes.</summary>
internal readonly struct RateLimitCellKey(ulong limitId, ulong keyHash) : IEquatable<RateLimitCellKey>
{
    // Mixed with a per-process secret before the table buckets by it: key hashes of header values
    // are the client's to choose, and a fixed bucket function would let one flood a single bucket.
    private static readonly ulong Secret = (ulong)Random.Shared.NextInt64() | 1;

    public ulong LimitId { get; } = limitId;
    public ulong KeyHash { get; } = keyHash;

    public bool Equals(RateLimitCellKey other) => LimitId == other.LimitId && KeyHash == other.KeyHash;

    public override bool Equals(object? obj) => obj is RateLimitCellKey other && Equals(other);

    public override int GetHashCode() => (int)(((KeyHash ^ Secret) * 0x9E3779B97F4A7C15UL + LimitId) >> 32);
}
