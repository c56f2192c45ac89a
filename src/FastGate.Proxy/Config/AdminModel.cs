using System.Net;

namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[admin]</c>: where the admin API listens and the token it requires.</summary>
public sealed record AdminModel
{
    /// <summary>Where the admin API listens; the loader always sets it (default 127.0.0.1:9901).</summary>
    public IPEndPoint? Endpoint { get; init; }
    /// <summary>The resolved token (after env:/file: indirection); null when none.</summary>
    public string? Token { get; init; }
}
