namespace FastGate.Proxy.Config;

/// <summary>What a request meets when the shared counters cannot be reached (<c>[rate_limit] on_backend_error</c>).</summary>
public enum RateLimitErrorAction : byte
{
    /// <summary>Decide on this instance's own counters: limits stay enforced, per instance, while Redis is away.</summary>
    Local,
    /// <summary>Answer 503: nothing passes that could not be counted.</summary>
    Deny,
}
