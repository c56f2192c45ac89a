namespace FastGate.Proxy.Config;

/// <summary>One <c>concurrency_limit = { max, key }</c> of a route: at most <see cref="Max"/> exchanges in flight for each key.</summary>
public sealed record RouteConcurrencyLimitModel
{
    public required long Max { get; init; }
    public required RateLimitKeyKind Key { get; init; }
    /// <summary>Lower-case header name for <see cref="RateLimitKeyKind.Header"/>; empty otherwise.</summary>
    public string HeaderName { get; init; } = "";

    public string Definition => $"inflight/{Max}/{RouteRateLimitModel.KeyText(Key, HeaderName)}";
}
