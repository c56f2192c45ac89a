using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Core.Tests.Tls;

/// <summary>Server contexts for the in-process TLS tests: a fresh self-signed ECDSA P-256 certificate per context.</summary>
internal static class OpenSslTestContexts
{
    /// <summary>A context serving a certificate for <c>CN=<paramref name="name"/></c>, its PEM files written to <paramref name="directory"/>.</summary>
    public static OpenSslServerContext SelfSigned(string directory, string name, params string[] alpn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(directory, name + ".pem");
        var keyPath = Path.Combine(directory, name + ".key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return OpenSslServerContext.Create(new OpenSslServerOptions
        {
            CertificateChainPath = certPath,
            PrivateKeyPath = keyPath,
            ApplicationProtocols = alpn.Length > 0 ? alpn : ["h2", "http/1.1"],
        });
    }
}
