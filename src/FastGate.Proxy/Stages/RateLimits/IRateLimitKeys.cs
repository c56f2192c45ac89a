namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// The limits one request is charged to, and its key under each. A struct implements it so the
/// limiter's generic methods are specialised for it: no array, no boxing on the local path.
/// </summary>
public interface IRateLimitKeys
{
    int Count { get; }

    RateLimitPolicy Policy(int index);

    ulong Key(int index);
}
