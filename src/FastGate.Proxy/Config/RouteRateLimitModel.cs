namespace FastGate.Proxy.Config;

/// <summary>One <c>rate_limit = { requests, per, key }</c> of a route: at most <see cref="Requests"/> per <see cref="Per"/> for each key.</summary>
public sealed record RouteRateLimitModel
{
    public required long Requests { get; init; }
    public required TimeSpan Per { get; init; }
    public required RateLimitKeyKind Key { get; init; }
    /// <summary>Lower-case header name for <see cref="RateLimitKeyKind.Header"/>; empty otherwise.</summary>
    public string HeaderName { get; init; } = "";

    /// <summary>The limit as written, canonical: counters are shared by limits with the same route and definition, across reloads.</summary>
    public string Definition => $"{Requests}/{(long)Per.TotalMilliseconds}ms/{KeyText(Key, HeaderName)}";

    internal static string KeyText(RateLimitKeyKind key, string headerName) => key switch
    {
        RateLimitKeyKind.Consumer => "consumer",
        RateLimitKeyKind.Client => "client",
        RateLimitKeyKind.Route => "route",
        _ => "header:" + headerName,
    };
}
