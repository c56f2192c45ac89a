using System.Security.Authentication;
using FastGate.Proxy.Config;
using FastGate.Proxy.Tls;

namespace FastGate.Proxy.Tests.Tls;

public sealed class TlsConfigTests : IDisposable
{
    private readonly TestCertificates _files = new();

    public TlsConfigTests()
    {
        _files.Write("site", "site.test", ["site.test"]);
        _files.Write("other", "other.test", ["other.test", "www.other.test"], ecdsa: true);
        _files.Write("ca", "Client CA", []);
    }

    public void Dispose() => _files.Dispose();

    private ConfigLoadResult Load(string tls) => ConfigLoader.LoadFromText(
        "[[listener]]\nname = \"web\"\nlisten = \"127.0.0.1:8443\"\n[listener.tls]\n" + tls,
        _files.Path("fastgate.toml"));

    private string SingleError(string tls)
    {
        var result = Load(tls);
        return Assert.Single(result.Errors).ToString();
    }

    [Fact]
    public void MinimalTls_HasTheDefaults()
    {
        var result = Load("cert = \"site.pem\"\nkey = \"site.key\"\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var tls = result.Model!.Listeners[0].Tls!;
        Assert.Equal(_files.Path("site.pem"), tls.CertPath);
        Assert.Equal(["h2", "http/1.1"], tls.Alpn);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.Protocols);
        Assert.Equal(TlsClientAuth.None, tls.ClientAuth);
        Assert.Null(tls.ClientCaPath);
        Assert.Equal(TimeSpan.FromSeconds(10), tls.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromHours(12), tls.SessionTicketRotation);
        Assert.Empty(tls.Sni);
    }

    [Fact]
    public void EveryKey_IsRead()
    {
        var result = Load("""
            cert = "site.pem"
            key = "site.key"
            alpn = ["http/1.1", "http/1.0"]
            min_version = "1.3"
            client_auth = "required"
            client_ca = "ca.pem"
            handshake_timeout = "3s"
            session_ticket_rotation = "1h"
            [[listener.tls.sni]]
            names = ["*.Other.test"]
            cert = "other.pem"
            key = "other.key"
            [[listener.tls.sni]]
            cert = "other.pem"
            key = "other.key"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var tls = result.Model!.Listeners[0].Tls!;
        Assert.Equal(["http/1.1", "http/1.0"], tls.Alpn);
        Assert.Equal(SslProtocols.Tls13, tls.Protocols);
        Assert.Equal(TlsClientAuth.Required, tls.ClientAuth);
        Assert.Equal(_files.Path("ca.pem"), tls.ClientCaPath);
        Assert.Equal(TimeSpan.FromSeconds(3), tls.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromHours(1), tls.SessionTicketRotation);
        Assert.Equal(2, tls.Sni.Count);
        Assert.Equal(["*.other.test"], tls.Sni[0].Names);
        Assert.Empty(tls.Sni[1].Names);
    }

    [Fact]
    public void Termination_PicksCertificateByNamesThenSubjectAlternativeNamesThenDefault()
    {
        _files.Write("third", "third.test", ["third.test"]);
        var result = Load("""
            cert = "site.pem"
            key = "site.key"
            [[listener.tls.sni]]
            names = ["*.wild.test"]
            cert = "other.pem"
            key = "other.key"
            [[listener.tls.sni]]
            cert = "third.pem"
            key = "third.key"
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));

        var termination = TlsTermination.Build(result.Model!.Listeners[0].Tls!, DateTime.UtcNow);

        Assert.Equal("CN=other.test", termination.CertificateFor("a.wild.test").Subject);
        Assert.Equal("CN=third.test", termination.CertificateFor("third.test").Subject);
        Assert.Equal("CN=site.test", termination.CertificateFor("other.test").Subject);
        Assert.Equal("CN=site.test", termination.CertificateFor(null).Subject);
        Assert.Equal(3, termination.Certificates.Count);
    }

    [Theory]
    [InlineData("\"8d\"")]
    [InlineData("\"500ms\"")]
    [InlineData("\"0s\"")]
    [InlineData("\"soon\"")]
    [InlineData("12")]
    public void SessionTicketRotation_OutOfRangeOrNotADuration_IsRefused(string value)
    {
        var error = SingleError($"cert = \"site.pem\"\nkey = \"site.key\"\nsession_ticket_rotation = {value}\n");

        Assert.Contains("session_ticket_rotation", error);
    }

    [Fact]
    public void AlpnH2_IsServed()
    {
        var result = Load("cert = \"site.pem\"\nkey = \"site.key\"\nalpn = [\"h2\", \"http/1.1\"]\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(["h2", "http/1.1"], result.Model!.Listeners[0].Tls!.Alpn);
    }

    [Fact]
    public void AlpnUnknownProtocol_IsRefused()
    {
        Assert.EndsWith(
            ":7:9: ALPN \"spdy/3\" is not a protocol this listener serves; expected one of: h2, http/1.1, http/1.0",
            SingleError("cert = \"site.pem\"\nkey = \"site.key\"\nalpn = [\"spdy/3\"]\n"));
    }

    [Fact]
    public void MismatchedKey_IsReportedAtTheCertValue()
    {
        var error = SingleError("cert = \"site.pem\"\nkey = \"other.key\"\n");

        Assert.StartsWith($"{_files.Path("fastgate.toml")}:5:8: the key in {_files.Path("other.key")} does not belong to the certificate in {_files.Path("site.pem")}", error);
    }

    [Fact]
    public void ExpiredCertificate_IsReportedAtTheCertValue()
    {
        _files.Write("old", "old.test", ["old.test"],
            notBefore: new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), notAfter: new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(
            $"{_files.Path("fastgate.toml")}:5:8: the certificate in {_files.Path("old.pem")} expired on 2021-01-01 00:00:00Z (valid from 2020-01-01 00:00:00Z)",
            SingleError("cert = \"old.pem\"\nkey = \"old.key\"\n"));
    }

    [Fact]
    public void BadSniCertificate_IsReportedInItsTable()
    {
        File.WriteAllText(_files.Path("garbage.pem"), "garbage");

        var error = SingleError("cert = \"site.pem\"\nkey = \"site.key\"\n[[listener.tls.sni]]\nnames = [\"x.test\"]\ncert = \"garbage.pem\"\nkey = \"site.key\"\n");

        Assert.StartsWith($"{_files.Path("fastgate.toml")}:9:8: cannot read the certificate {_files.Path("garbage.pem")}: ", error);
    }

    [Fact]
    public void MissingFile_IsReported()
    {
        Assert.Equal(
            $"{_files.Path("fastgate.toml")}:5:8: file not found for 'cert': {_files.Path("nope.pem")}",
            SingleError("cert = \"nope.pem\"\nkey = \"site.key\"\n"));
    }

    [Fact]
    public void ClientAuthWithoutCa_IsRefused()
    {
        Assert.EndsWith(
            ":7:15: client_auth = \"required\" requires 'client_ca', the CA bundle that verifies client certificates",
            SingleError("cert = \"site.pem\"\nkey = \"site.key\"\nclient_auth = \"required\"\n"));
    }

    [Fact]
    public void ClientCaWithoutClientAuth_IsRefused()
    {
        Assert.EndsWith(
            ":7:1: 'client_ca' is used only with client_auth = \"optional\" or \"required\"",
            SingleError("cert = \"site.pem\"\nkey = \"site.key\"\nclient_ca = \"ca.pem\"\n"));
    }

    [Fact]
    public void ClientCaWithoutCertificates_IsRefused()
    {
        File.WriteAllText(_files.Path("empty.pem"), "nothing here\n");

        Assert.EndsWith(
            $":8:13: no PEM certificate (-----BEGIN CERTIFICATE-----) found in {_files.Path("empty.pem")}",
            SingleError("cert = \"site.pem\"\nkey = \"site.key\"\nclient_auth = \"optional\"\nclient_ca = \"empty.pem\"\n"));
    }

    [Fact]
    public void UnknownMinVersion_IsRefused()
    {
        Assert.EndsWith(
            ":7:15: invalid value '1.1' for 'min_version'; did you mean '1.2'? expected one of: 1.2, 1.3",
            SingleError("cert = \"site.pem\"\nkey = \"site.key\"\nmin_version = \"1.1\"\n"));
    }

    [Fact]
    public void SniWithoutNames_CertificateWithoutDnsNames_IsRefused()
    {
        var error = SingleError("cert = \"site.pem\"\nkey = \"site.key\"\n[[listener.tls.sni]]\ncert = \"ca.pem\"\nkey = \"ca.key\"\n");

        Assert.EndsWith($":7:1: [[listener.tls.sni]] without 'names' serves the DNS names of its certificate, and {_files.Path("ca.pem")} has none: list them in 'names'", error);
    }

    [Fact]
    public void UnknownKey_IsRefused()
    {
        Assert.Contains("unknown key 'ciphers'", SingleError("cert = \"site.pem\"\nkey = \"site.key\"\nciphers = \"x\"\n"));
    }
}
