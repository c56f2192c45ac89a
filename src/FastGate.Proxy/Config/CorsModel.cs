namespace FastGate.Proxy.Config;

/// <summary>
/// <c>[route.cors]</c>: which browser origins may call the route, answered per the Fetch
/// standard's CORS protocol. Origins are lower-case; "*" is any origin, "https://*.example.com"
/// any subdomain of it.
/// </summary>
public sealed record CorsModel
{
    public required IReadOnlyList<string> AllowOrigins { get; init; }
    /// <summary>Upper-case method tokens.</summary>
    public IReadOnlyList<string> AllowMethods { get; init; } = ["GET", "HEAD", "POST"];
    /// <summary>Lower-case field names; "*" lets any requested field through.</summary>
    public IReadOnlyList<string> AllowHeaders { get; init; } = [];
    public IReadOnlyList<string> ExposeHeaders { get; init; } = [];
    /// <summary>How long a browser may cache a preflight answer; null sends no Access-Control-Max-Age.</summary>
    public TimeSpan? MaxAge { get; init; }
    public bool AllowCredentials { get; init; }
}
