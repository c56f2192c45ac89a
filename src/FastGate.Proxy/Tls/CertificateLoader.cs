using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Proxy.Tls;

/// <summary>
/// Reads PEM certificates and keys: a leaf with its intermediates after it in one file, and its
/// RSA or ECDSA key (PKCS#8, PKCS#1 or SEC1) in another. Every reason a file cannot be served is
/// a <see cref="TlsCertificateException"/> that names the file.
/// </summary>
public static class CertificateLoader
{
    /// <summary>Loads a certificate chain and its key, checked to match and to be valid at <paramref name="now"/>.</summary>
    public static ServerCertificate Load(string certPath, string keyPath, DateTime now)
    {
        var (leaf, _) = ReadChain(certPath, keyPath);
        CheckValidity(leaf, certPath, now);
        var dnsNames = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(e => e.EnumerateDnsNames())
            .Select(n => n.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        return new ServerCertificate
        {
            Certificate = leaf,
            DnsNames = dnsNames,
            CertPath = certPath,
            KeyPath = keyPath,
        };
    }

    /// <summary>A certificate with its key, and the intermediates that follow it in its file (a server's chain or a client's).</summary>
    public static (X509Certificate2 Leaf, X509Certificate2Collection Intermediates) ReadChain(string certPath, string keyPath)
    {
        var leaf = ReadLeaf(certPath, keyPath);
        var intermediates = ReadBundle(certPath);
        // The first certificate of the file is the leaf itself.
        intermediates.RemoveAt(0);
        return (leaf, intermediates);
    }

    /// <summary>Every certificate of a PEM file (a CA bundle, a chain); at least one, else an error.</summary>
    public static X509Certificate2Collection ReadBundle(string path)
    {
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new TlsCertificateException($"cannot read certificates from {path}: {ex.Message}", ex);
        }
        if (bundle.Count == 0)
        {
            throw new TlsCertificateException($"no PEM certificate (-----BEGIN CERTIFICATE-----) found in {path}");
        }
        return bundle;
    }

    private static X509Certificate2 ReadLeaf(string certPath, string keyPath)
    {
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw Diagnose(certPath, keyPath, ex);
        }
        if (!leaf.HasPrivateKey)
        {
            throw new TlsCertificateException($"the key in {keyPath} does not belong to the certificate in {certPath}");
        }
        if (OperatingSystem.IsWindows())
        {
            // Schannel cannot use an ephemeral key (what a PEM import gives); a PKCS#12 round trip stores it.
            using var ephemeral = leaf;
            leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }
        return leaf;
    }

    /// <summary>Which of the two files is at fault: the certificate, the key, or their pairing.</summary>
    private static TlsCertificateException Diagnose(string certPath, string keyPath, Exception failure)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            return new TlsCertificateException($"cannot read the certificate {certPath}: {ex.Message}", ex);
        }
        string keyText;
        try
        {
            keyText = File.ReadAllText(keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new TlsCertificateException($"cannot read the key {keyPath}: {ex.Message}", ex);
        }
        if (ReadsAsKey(keyText, RSA.Create) || ReadsAsKey(keyText, ECDsa.Create))
        {
            return new TlsCertificateException($"the key in {keyPath} does not belong to the certificate in {certPath}", failure);
        }
        return new TlsCertificateException($"cannot read the key {keyPath}: no RSA or ECDSA private key in PEM form (PKCS#8, PKCS#1 or SEC1) found", failure);
    }

    private static bool ReadsAsKey<T>(string pem, Func<T> create) where T : AsymmetricAlgorithm
    {
        using var key = create();
        try
        {
            key.ImportFromPem(pem);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static void CheckValidity(X509Certificate2 leaf, string certPath, DateTime now)
    {
        if (now > leaf.NotAfter.ToUniversalTime())
        {
            throw new TlsCertificateException(
                $"the certificate in {certPath} expired on {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z (valid from {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z)");
        }
        if (now < leaf.NotBefore.ToUniversalTime())
        {
            throw new TlsCertificateException(
                $"the certificate in {certPath} is not valid before {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z (until {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z)");
        }
    }
}
