namespace FastGate.Proxy.Config;

/// <summary><c>redirect</c> of a route: answered locally, nothing goes upstream.</summary>
public sealed record RedirectModel
{
    /// <summary>301, 302, 303, 307 or 308.</summary>
    public int Status { get; init; } = 302;
    /// <summary>A template (<c>https://example.com${path}${query}</c>).</summary>
    public required string Location { get; init; }
}
