namespace FastGate.Core.Tls.OpenSsl;

/// <summary>What a server context is made of: one certificate chain and the listener's TLS settings.</summary>
public sealed record OpenSslServerOptions
{
    /// <summary>PEM: the leaf first, then its intermediates.</summary>
    public required string CertificateChainPath { get; init; }
    public required string PrivateKeyPath { get; init; }
    /// <summary>ALPN protocol names in the server's preference order.</summary>
    public required IReadOnlyList<string> ApplicationProtocols { get; init; }
    /// <summary>True: TLS 1.3 only; false: TLS 1.2 and 1.3.</summary>
    public bool Tls13Only { get; init; }
    public OpenSslClientCertificateMode ClientCertificates { get; init; }
    /// <summary>The CA bundle whose names go out in the certificate request; set when client certificates are asked for.</summary>
    public string? ClientCaPath { get; init; }
}
