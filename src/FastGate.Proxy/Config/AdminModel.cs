using System.Net;

namespace FastGate.Proxy.Config;

public sealed record AdminModel
{
    public IPEndPoint? Endpoint { get; init; }
    /// <summary>The resolved token (after env:/file: indirection); null when none.</summary>
    public string? Token { get; init; }
}
