using System.Security.Cryptography.X509Certificates;
using FastGate.Proxy.Tls;

namespace FastGate.Proxy.Tests.Tls;

public sealed class CertificateLoaderTests : IDisposable
{
    private readonly TestCertificates _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Load_RsaPair_GivesCertificateWithKeyAndNames()
    {
        var (cert, key) = _files.Write("rsa", "rsa.test", ["rsa.test", "Alt.Test"]);

        var loaded = CertificateLoader.Load(cert, key, DateTime.UtcNow);

        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.Equal("CN=rsa.test", loaded.Certificate.Subject);
        Assert.Equal(["rsa.test", "alt.test"], loaded.DnsNames);
    }

    [Fact]
    public void Load_EcdsaPair_GivesCertificateWithKey()
    {
        var (cert, key) = _files.Write("ec", "ec.test", ["ec.test"], ecdsa: true);

        var loaded = CertificateLoader.Load(cert, key, DateTime.UtcNow);

        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.NotNull(loaded.Certificate.GetECDsaPublicKey());
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_IsRefusedNamingBothFiles()
    {
        var (cert, _) = _files.Write("one", "one.test", ["one.test"]);
        var (_, otherKey) = _files.Write("two", "two.test", ["two.test"]);

        var error = Assert.Throws<TlsCertificateException>(() => CertificateLoader.Load(cert, otherKey, DateTime.UtcNow));

        Assert.Contains(otherKey, error.Message);
        Assert.Contains(cert, error.Message);
    }

    [Fact]
    public void Load_ExpiredCertificate_IsRefusedWithFileAndDates()
    {
        var (cert, key) = _files.Write("old", "old.test", ["old.test"],
            notBefore: new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), notAfter: new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var error = Assert.Throws<TlsCertificateException>(() => CertificateLoader.Load(cert, key, DateTime.UtcNow));

        Assert.Equal($"the certificate in {cert} expired on 2021-01-01 00:00:00Z (valid from 2020-01-01 00:00:00Z)", error.Message);
    }

    [Fact]
    public void Load_NotYetValidCertificate_IsRefused()
    {
        var (cert, key) = _files.Write("future", "future.test", ["future.test"],
            notBefore: DateTimeOffset.UtcNow.AddDays(10), notAfter: DateTimeOffset.UtcNow.AddDays(20));

        var error = Assert.Throws<TlsCertificateException>(() => CertificateLoader.Load(cert, key, DateTime.UtcNow));

        Assert.StartsWith($"the certificate in {cert} is not valid before ", error.Message);
    }

    [Fact]
    public void Load_GarbageInsteadOfPem_IsRefusedNamingTheFile()
    {
        var (_, key) = _files.Write("good", "good.test", ["good.test"]);
        var garbage = _files.Path("garbage.pem");
        File.WriteAllText(garbage, "this is not a certificate\n");

        var error = Assert.Throws<TlsCertificateException>(() => CertificateLoader.Load(garbage, key, DateTime.UtcNow));

        Assert.Contains(garbage, error.Message);
    }

    [Fact]
    public void Load_GarbageKey_IsRefusedNamingTheFile()
    {
        var (cert, _) = _files.Write("good", "good.test", ["good.test"]);
        var garbage = _files.Path("garbage.key");
        File.WriteAllText(garbage, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");

        var error = Assert.Throws<TlsCertificateException>(() => CertificateLoader.Load(cert, garbage, DateTime.UtcNow));

        Assert.Contains(garbage, error.Message);
    }

    [Fact]
    public void Load_ChainFile_KeepsLeafAndIntermediates()
    {
        var (leafCert, leafKey) = _files.Write("leaf", "leaf.test", ["leaf.test"]);
        var (caCert, _) = _files.Write("ca", "Some CA", []);
        var chain = _files.Path("chain.pem");
        File.WriteAllText(chain, File.ReadAllText(leafCert) + "\n" + File.ReadAllText(caCert));

        var loaded = CertificateLoader.Load(chain, leafKey, DateTime.UtcNow);

        Assert.Equal("CN=leaf.test", loaded.Certificate.Subject);
        Assert.Equal(2, CertificateLoader.ReadBundle(chain).Count);
    }

    [Fact]
    public void ReadBundle_FileWithoutCertificates_IsRefused()
    {
        var empty = _files.Path("empty.pem");
        File.WriteAllText(empty, "\n");

        var error = Assert.Throws<TlsCertificateException>(() => CertificateLoader.ReadBundle(empty));

        Assert.Contains(empty, error.Message);
    }
}
