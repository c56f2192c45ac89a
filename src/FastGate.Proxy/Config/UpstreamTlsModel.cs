using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Proxy.Config;

/// <summary>
/// A cluster's validated upstream TLS settings (<c>tls = true</c> and the keys beside it). The
/// certificate files were read and checked when the config was loaded, so a connection never
/// meets a file that is missing or broken; a reload reads them again.
/// </summary>
public sealed record UpstreamTlsModel
{
    /// <summary>The name sent as SNI and checked against the certificate; null: the endpoint's host name, or its IP.</summary>
    public string? Sni { get; init; }

    /// <summary>The trusted roots (<c>ca</c>), null for the system's.</summary>
    public X509Certificate2Collection? Authorities { get; init; }

    /// <summary>False (<c>tls_verify = false</c>) accepts any certificate from the upstream.</summary>
    public bool Verify { get; init; } = true;

    /// <summary>The client certificate (with its private key) presented to the upstream, or null.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Intermediates that followed the client certificate in its file, sent with it.</summary>
    public X509Certificate2Collection ClientChain { get; init; } = [];

    /// <summary>The TLS versions offered (<c>tls_min_version</c>).</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Offer only h2 by ALPN and refuse a server that does not select it (a cluster with protocol = "h2").</summary>
    public bool Http2 { get; init; }

    /// <summary>
    /// What the settings are, as text: equal texts mean equal settings, so connections pooled under
    /// the last config are kept by a reload that did not change them.
    /// </summary>
    public required string Identity { get; init; }
}
