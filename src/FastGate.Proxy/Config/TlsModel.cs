using System.Security.Authentication;

namespace FastGate.Proxy.Config;

/// <summary>
/// A validated <c>[listener.tls]</c>. Paths are absolute (relative ones are resolved against the
/// config file's folder) and the files existed and parsed when the config was loaded.
/// </summary>
public sealed record TlsModel
{
    public required string CertPath { get; init; }
    public required string KeyPath { get; init; }
    /// <summary>ALPN protocol names in preference order.</summary>
    public IReadOnlyList<string> Alpn { get; init; } = ["h2", "http/1.1"];
    /// <summary>More certificates, picked by the client's SNI name.</summary>
    public IReadOnlyList<TlsSniModel> Sni { get; init; } = [];
    /// <summary>The protocol versions offered: TLS 1.2 and 1.3, or 1.3 only (<c>min_version</c>).</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;
    public TlsClientAuth ClientAuth { get; init; } = TlsClientAuth.None;
    /// <summary>The CA bundle that verifies client certificates; set when <see cref="ClientAuth"/> is not None.</summary>
    public string? ClientCaPath { get; init; }
    /// <summary>A client that has not finished its handshake within this is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long a session-ticket key seals new tickets before the next one takes over (<c>session_ticket_rotation</c>).</summary>
    public TimeSpan SessionTicketRotation { get; init; } = TimeSpan.FromHours(12);
}
