namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>A route's rate limit compiled: the policy and how an exchange picks its key.</summary>
public sealed class RateLimitRule(RateLimitPolicy policy, RateLimitKeySelector key)
{
    public RateLimitPolicy Policy { get; } = policy;
    public RateLimitKeySelector Key { get; } = key;
}
