using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Proxy.Tls;

/// <summary>A certificate a listener serves: its chain, ready for handshakes, and the names it answers for.</summary>
public sealed class ServerCertificate
{
    public required X509Certificate2 Certificate { get; init; }
    /// <summary>The certificate and its intermediates, built once and shared by every handshake.</summary>
    public required SslStreamCertificateContext Context { get; init; }
    /// <summary>The DNS names of the certificate's subject alternative names, lower case.</summary>
    public required IReadOnlyList<string> DnsNames { get; init; }
    public required string CertPath { get; init; }
    public required string KeyPath { get; init; }
}
