namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>One limit and one key: what a token limit reserves against.</summary>
public readonly struct SingleRateLimitKey(RateLimitPolicy policy, ulong key) : IRateLimitKeys
{
    public int Count => 1;

    public RateLimitPolicy Policy(int index) => policy;

    public ulong Key(int index) => key;
}
