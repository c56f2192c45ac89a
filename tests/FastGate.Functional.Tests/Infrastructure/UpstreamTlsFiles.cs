using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// PEM files for upstream TLS tests, in a temporary folder deleted on dispose: a test CA, a
/// server certificate it issued for <c>upstream.test</c> and 127.0.0.1, a client certificate it
/// issued (CN=fastgate-client), and a second CA that issued none of them.
/// </summary>
public sealed class UpstreamTlsFiles : IDisposable
{
    public const string ServerName = "upstream.test";
    public const string ClientSubject = "CN=fastgate-client";

    public UpstreamTlsFiles()
    {
        Folder = Directory.CreateTempSubdirectory("fastgate-upstream-tls-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = CreateAuthority("CN=FastGate Upstream Test CA", caKey);
        Ca = Write("ca.pem", ca.ExportCertificatePem());

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = CreateAuthority("CN=Some Other CA", otherKey);
        OtherCa = Write("other-ca.pem", other.ExportCertificatePem());

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(ServerName);
        names.AddIpAddress(IPAddress.Loopback);
        (ServerCert, ServerKey) = Issue(ca, caKey, "server", $"CN={ServerName}", names, X509KeyUsageFlags.DigitalSignature, "1.3.6.1.5.5.7.3.1");
        (ClientCert, ClientKey) = Issue(ca, caKey, "client", ClientSubject, null, X509KeyUsageFlags.DigitalSignature, "1.3.6.1.5.5.7.3.2");
    }

    public string Folder { get; }
    public string Ca { get; }
    public string OtherCa { get; }
    public string ServerCert { get; }
    public string ServerKey { get; }
    public string ClientCert { get; }
    public string ClientKey { get; }

    /// <summary>mock-upstream arguments that make it serve HTTPS with the server certificate.</summary>
    public string[] MockArguments(bool requireClientCertificate = false) => requireClientCertificate
        ? ["--tls-cert", ServerCert, "--tls-key", ServerKey, "--tls-client-ca", Ca]
        : ["--tls-cert", ServerCert, "--tls-key", ServerKey];

    private static X509Certificate2 CreateAuthority(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private (string Cert, string Key) Issue(X509Certificate2 ca, ECDsa caKey, string fileName, string subject,
        SubjectAlternativeNameBuilder? names, X509KeyUsageFlags usage, string extendedUsage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedUsage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (names is not null)
        {
            request.CertificateExtensions.Add(names.Build());
        }
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(12));
        return (Write(fileName + ".pem", certificate.ExportCertificatePem()), Write(fileName + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, text + "\n");
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
