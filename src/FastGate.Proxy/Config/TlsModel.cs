namespace FastGate.Proxy.Config;

/// <summary>
/// A validated <c>[listener.tls]</c>. Paths are absolute (relative ones are resolved against the
/// config file's folder) and the files existed when the config was loaded.
/// </summary>
public sealed record TlsModel
{
    public required string CertPath { get; init; }
    public required string KeyPath { get; init; }
    /// <summary>ALPN protocol names in preference order; empty leaves the choice to the server.</summary>
    public IReadOnlyList<string> Alpn { get; init; } = [];
    /// <summary>More certificates, picked by the client's SNI name.</summary>
    public IReadOnlyList<TlsSniModel> Sni { get; init; } = [];
}
