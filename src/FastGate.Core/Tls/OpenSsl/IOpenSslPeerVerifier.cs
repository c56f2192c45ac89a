using System.Security.Cryptography.X509Certificates;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>Decides whether a client certificate is accepted, in place of OpenSSL's own chain check.</summary>
public interface IOpenSslPeerVerifier
{
    /// <summary><paramref name="presented"/> holds the other certificates the client sent (intermediates), maybe none.</summary>
    bool Verify(X509Certificate2 certificate, X509Certificate2Collection presented);
}
