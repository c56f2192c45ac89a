using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Proxy.Tls;

/// <summary>
/// Verifies client certificates against the listener's <c>client_ca</c> bundle only (not the
/// system roots): a certificate is accepted when it chains to one of those CAs, is valid now and
/// may be used for client authentication. Revocation lists are not consulted.
/// </summary>
public sealed class ClientCertificateVerifier(X509Certificate2Collection authorities) : IOpenSslPeerVerifier
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public X509Certificate2Collection Authorities { get; } = authorities;

    /// <summary>A certificate a client presented, with the others it sent (its intermediates): true when it chains to the bundle.</summary>
    public bool Verify(X509Certificate2 leaf, X509Certificate2Collection presented)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(Authorities);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.ApplicationPolicy.Add(ClientAuthentication);
        // The intermediates the client sent; trust still comes from the bundle alone.
        policy.ExtraStore.AddRange(presented);
        return chain.Build(leaf);
    }
}
