using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Proxy.Tests.Config;

/// <summary>
/// A throwaway CA with a server and a client certificate, written as PEM files to a folder of its
/// own that is deleted on dispose.
/// </summary>
public sealed class UpstreamTlsFiles : IDisposable
{
    public UpstreamTlsFiles()
    {
        Folder = Directory.CreateTempSubdirectory("fastgate-upstream-tls-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=FastGate Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Ca = Write("ca.pem", ca.ExportCertificatePem());

        (ClientCert, ClientKey) = Issue(ca, caKey, "client", "CN=fastgate-client", null);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        OtherKey = Write("other.key", otherKey.ExportPkcs8PrivateKeyPem());
        NotPem = Write("not.pem", "this is not a certificate\n");
    }

    public string Folder { get; }
    public string Ca { get; }
    public string ClientCert { get; }
    public string ClientKey { get; }
    /// <summary>A key that belongs to no certificate here.</summary>
    public string OtherKey { get; }
    public string NotPem { get; }

    /// <summary>A leaf certificate issued by <paramref name="ca"/>, with the DNS names and IPs given (server) or none (client).</summary>
    public (string Cert, string Key) Issue(X509Certificate2 ca, ECDsa caKey, string fileName, string subject, SubjectAlternativeNameBuilder? names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        if (names is not null)
        {
            request.CertificateExtensions.Add(names.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(12);
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
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
