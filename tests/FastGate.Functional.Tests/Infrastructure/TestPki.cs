using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// A test certificate authority and the certificates it signs, written as PEM files (NAME.pem,
/// NAME.key) into a folder, the way an operator hands them to the daemon.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly RSA _caKey = RSA.Create(2048);

    public TestPki(string directory, string caName = "FastGate Test CA")
    {
        Directory = directory;
        var request = new CertificateRequest($"CN={caName}", _caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CaPath = System.IO.Path.Combine(directory, SafeName(caName) + "-ca.pem");
        File.WriteAllText(CaPath, Authority.ExportCertificatePem() + "\n");
    }

    public string Directory { get; }

    public X509Certificate2 Authority { get; }

    /// <summary>The CA certificate as a PEM file (for client_ca, curl --cacert, openssl -CAfile).</summary>
    public string CaPath { get; }

    public string Path(string file) => System.IO.Path.Combine(Directory, file);

    /// <summary>A server certificate for <paramref name="dnsNames"/>, written as NAME.pem and NAME.key.</summary>
    public X509Certificate2 Server(string name, string subject, string[] dnsNames, bool ecdsa = false) =>
        Issue(name, $"CN={subject}", dnsNames, ecdsa, "1.3.6.1.5.5.7.3.1");

    /// <summary>A client certificate, written as NAME.pem and NAME.key.</summary>
    public X509Certificate2 Client(string name, string subject) => Issue(name, subject, [], ecdsa: false, "1.3.6.1.5.5.7.3.2");

    private X509Certificate2 Issue(string name, string subject, string[] dnsNames, bool ecdsa, string usage)
    {
        using AsymmetricAlgorithm key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var dns in dnsNames)
            {
                san.AddDnsName(dns);
            }
            request.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        // The signature generator lets an RSA authority sign an ECDSA key too.
        var certificate = request.Create(Authority.SubjectName, X509SignatureGenerator.CreateForRSA(_caKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), serial);
        // Written beside and moved over, so a daemon watching the files never reads half of one.
        WriteAtomically(Path(name + ".key"), key.ExportPkcs8PrivateKeyPem() + "\n");
        WriteAtomically(Path(name + ".pem"), certificate.ExportCertificatePem() + "\n");
        return certificate;
    }

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private static string SafeName(string name) => string.Concat(name.Where(char.IsLetterOrDigit)).ToLowerInvariant();

    /// <summary>Whether <paramref name="certificate"/> chains to this CA (a client's validation callback).</summary>
    public bool Trusts(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    public void Dispose()
    {
        _caKey.Dispose();
        Authority.Dispose();
    }
}
