namespace FastGate.Proxy.Config;

/// <summary>Where rate-limit counters live (<c>[rate_limit] backend</c>).</summary>
public enum RateLimitBackendKind : byte
{
    /// <summary>In this process: each instance limits on its own.</summary>
    Local,
    /// <summary>In one Redis server that every instance shares: one global limit.</summary>
    Redis,
}
