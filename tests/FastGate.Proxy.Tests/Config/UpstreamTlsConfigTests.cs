using System.Security.Authentication;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>tls, sni, ca, tls_verify, tls_cert, tls_key and tls_min_version of [cluster.NAME].</summary>
public sealed class UpstreamTlsConfigTests : IDisposable
{
    // The cluster's keys start on line 11, column 1.
    private const string Head = """
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [[route]]
        name = "api"
        cluster = "c"

        [cluster.c]
        endpoints = ["upstream.internal:9443", "127.0.0.1:9444"]

        """;

    private readonly UpstreamTlsFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static ClusterModel Cluster(string keys)
    {
        var result = ConfigLoader.LoadFromText(Head + keys, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Model!.Clusters["c"];
    }

    private static string[] Errors(string keys)
    {
        var result = ConfigLoader.LoadFromText(Head + keys, "test.toml");
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    private static string Toml(string path) => path.Replace("\\", "\\\\");

    [Fact]
    public void WithoutTls_TheClusterIsPlainText()
    {
        Assert.Null(Cluster("").Tls);
        Assert.Null(Cluster("tls = false\n").Tls);
    }

    [Fact]
    public void TlsAlone_VerifiesAgainstTheSystemRootsWithTheEndpointName()
    {
        var tls = Cluster("tls = true\n").Tls;
        Assert.NotNull(tls);
        Assert.True(tls.Verify);
        Assert.Null(tls.Sni);
        Assert.Null(tls.Authorities);
        Assert.Null(tls.ClientCertificate);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.Protocols);
    }

    [Fact]
    public void EveryKey_IsRead()
    {
        var tls = Cluster($"""
            tls = true
            sni = "API.internal"
            ca = "{Toml(_files.Ca)}"
            tls_verify = false
            tls_cert = "{Toml(_files.ClientCert)}"
            tls_key = "{Toml(_files.ClientKey)}"
            tls_min_version = "1.3"
            """).Tls;
        Assert.NotNull(tls);
        Assert.Equal("api.internal", tls.Sni);
        Assert.Equal("CN=FastGate Test CA", Assert.Single(tls.Authorities!).Subject);
        Assert.False(tls.Verify);
        Assert.Equal("CN=fastgate-client", tls.ClientCertificate!.Subject);
        Assert.True(tls.ClientCertificate.HasPrivateKey);
        Assert.Equal(SslProtocols.Tls13, tls.Protocols);
    }

    [Fact]
    public void TheSameSettings_HaveTheSameIdentity_AndADifferentOneAnother()
    {
        var keys = $"tls = true\nca = \"{Toml(_files.Ca)}\"\n";
        Assert.Equal(Cluster(keys).Tls!.Identity, Cluster(keys).Tls!.Identity);
        Assert.NotEqual(Cluster(keys).Tls!.Identity, Cluster(keys + "sni = \"other.internal\"\n").Tls!.Identity);
        Assert.NotEqual(Cluster(keys).Tls!.Identity, Cluster("tls = true\n").Tls!.Identity);
    }

    [Fact]
    public void ARelativePath_IsResolvedAgainstTheConfigFolder()
    {
        var config = Path.Combine(_files.Folder, "fastgate.toml");
        File.WriteAllText(config, Head + "tls = true\nca = \"ca.pem\"\n");
        var result = ConfigLoader.Load(config);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.NotNull(result.Model!.Clusters["c"].Tls!.Authorities);
    }

    [Theory]
    [InlineData("sni = \"a.internal\"\n", "test.toml:11:1: 'sni' in [cluster.c] needs tls = true")]
    [InlineData("tls = false\ntls_verify = false\n", "test.toml:12:1: 'tls_verify' in [cluster.c] needs tls = true")]
    [InlineData("tls = \"yes\"\n", "test.toml:11:7: expected a boolean for 'tls', got string")]
    [InlineData("tls = true\nsni = \"10.0.0.1\"\n", "test.toml:12:7: 'sni' must be a DNS host name, got '10.0.0.1'")]
    [InlineData("tls = true\nsni = \"bad name\"\n", "test.toml:12:7: 'sni' must be a DNS host name, got 'bad name'")]
    [InlineData("tls = true\ntls_min_version = \"1.1\"\n", "test.toml:12:19: invalid value '1.1' for 'tls_min_version'; did you mean '1.2'? expected one of: 1.2, 1.3")]
    [InlineData("tls = true\ntls_verify = \"no\"\n", "test.toml:12:14: expected a boolean for 'tls_verify', got string")]
    [InlineData("tls = true\ntsl_verify = false\n", "test.toml:12:1: unknown key 'tsl_verify' in [cluster.c]; did you mean 'tls_verify'?")]
    public void BadValues_AreReportedWhereTheyAre(string keys, string expected)
    {
        Assert.Equal([expected], Errors(keys));
    }

    [Fact]
    public void AMissingCaFile_IsAnError()
    {
        var missing = Path.Combine(_files.Folder, "missing.pem");
        Assert.Equal([$"test.toml:12:6: file not found for 'ca': {missing}"], Errors($"tls = true\nca = \"{Toml(missing)}\"\n"));
    }

    [Fact]
    public void ACaFileWithoutACertificate_IsAnError()
    {
        Assert.Equal([$"test.toml:12:6: no PEM certificate in the CA bundle {_files.NotPem}"], Errors($"tls = true\nca = \"{Toml(_files.NotPem)}\"\n"));
    }

    [Fact]
    public void AClientCertificateWithoutItsKey_IsAnError()
    {
        Assert.Equal(["test.toml:12:1: 'tls_cert' and 'tls_key' go together in [cluster.c]"], Errors($"tls = true\ntls_cert = \"{Toml(_files.ClientCert)}\"\n"));
        Assert.Equal(["test.toml:12:1: 'tls_cert' and 'tls_key' go together in [cluster.c]"], Errors($"tls = true\ntls_key = \"{Toml(_files.ClientKey)}\"\n"));
    }

    [Fact]
    public void AKeyThatIsNotTheCertificates_IsAnErrorAtTheCertificate()
    {
        var error = Assert.Single(Errors($"tls = true\ntls_cert = \"{Toml(_files.ClientCert)}\"\ntls_key = \"{Toml(_files.OtherKey)}\"\n"));
        Assert.StartsWith($"test.toml:12:12: cannot load the client certificate {_files.ClientCert} with the key {_files.OtherKey}: ", error);
    }

    [Fact]
    public void AClientCertificateThatIsNotPem_IsAnError()
    {
        var error = Assert.Single(Errors($"tls = true\ntls_cert = \"{Toml(_files.NotPem)}\"\ntls_key = \"{Toml(_files.ClientKey)}\"\n"));
        Assert.StartsWith($"test.toml:12:12: cannot load the client certificate {_files.NotPem}", error);
    }
}
