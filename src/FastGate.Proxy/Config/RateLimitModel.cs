using System.Net;

namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[rate_limit]</c>: where counters live and what happens when they cannot be reached.</summary>
public sealed record RateLimitModel
{
    public const string DefaultKeyPrefix = "fastgate:rl:";

    public RateLimitBackendKind Backend { get; init; } = RateLimitBackendKind.Local;
    /// <summary>The Redis server as written ("host:port"); null when none is configured.</summary>
    public string? Redis { get; init; }
    public RateLimitErrorAction OnBackendError { get; init; } = RateLimitErrorAction.Local;
    /// <summary>Every Redis key the limiter writes starts with this, so gateways can share a Redis with others.</summary>
    public string KeyPrefix { get; init; } = DefaultKeyPrefix;
    /// <summary>Longest wait for one Redis decision before it counts as a backend error.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Adds RateLimit-Limit, -Remaining and -Reset to responses that were let through.</summary>
    public bool ResponseHeaders { get; init; }
}
