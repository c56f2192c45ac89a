namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[[listener.tls.sni]]</c>: a certificate served for the listed names.</summary>
public sealed record TlsSniModel
{
    /// <summary>
    /// Lower-case host names; an entry starting with "*." matches one label. Empty: the DNS names
    /// of the certificate's subject alternative names.
    /// </summary>
    public required IReadOnlyList<string> Names { get; init; }
    public required string CertPath { get; init; }
    public required string KeyPath { get; init; }
}
