using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Proxy.Tests.Tls;

/// <summary>Self-signed certificates and their keys written as PEM files into a temporary folder.</summary>
internal sealed class TestCertificates : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("fastgate-tls-unit-").FullName;

    public string Path(string file) => System.IO.Path.Combine(Directory, file);

    /// <summary>Writes NAME.pem and NAME.key; returns their paths.</summary>
    public (string Cert, string Key) Write(string name, string subject, string[] dnsNames, bool ecdsa = false,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using AsymmetricAlgorithm key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var request = key is RSA rsa
            ? new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={subject}", (ECDsa)key, HashAlgorithmName.SHA256);
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var dns in dnsNames)
            {
                san.AddDnsName(dns);
            }
            request.CertificateExtensions.Add(san.Build());
        }
        using var certificate = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Path(name + ".pem");
        var keyPath = Path(name + ".key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
