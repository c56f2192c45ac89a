namespace FastGate.Proxy.Config;

/// <summary>What one counter of a limit stands for: the <c>key</c> of a route's <c>rate_limit</c> or <c>concurrency_limit</c>.</summary>
public enum RateLimitKeyKind : byte
{
    /// <summary>The authenticated consumer; an anonymous caller is counted by client address.</summary>
    Consumer,
    /// <summary>The client's IP address.</summary>
    Client,
    /// <summary>One counter for the whole route.</summary>
    Route,
    /// <summary>The value of a request header; requests without it share one counter.</summary>
    Header,
}
