using System.Security.Cryptography.X509Certificates;

namespace FastGate.Proxy.Tls;

/// <summary>A certificate a listener serves: its leaf, the files it came from, and the names it answers for.</summary>
public sealed class ServerCertificate
{
    public required X509Certificate2 Certificate { get; init; }
    /// <summary>The DNS names of the certificate's subject alternative names, lower case.</summary>
    public required IReadOnlyList<string> DnsNames { get; init; }
    public required string CertPath { get; init; }
    public required string KeyPath { get; init; }
}
