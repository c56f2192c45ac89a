using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// The handshake as openssl s_client and raw sockets see it: ALPN in the listener's order, SNI,
/// and ClientHellos that are cut or followed by garbage closing only their own connection.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class TlsHandshakeOpenSslTests(UpstreamsFixture upstreams) : IDisposable
{
    private readonly TempPki _files = new("fastgate-tls-handshake-");

    private TestPki Pki => _files.Pki;

    public void Dispose() => _files.Dispose();

    private string Config(string tls = "")
    {
        Pki.Server("a", "a.test", ["a.test"]);
        Pki.Server("b", "b.test", ["b.test"], ecdsa: true);
        return UpstreamsFixture.SimpleConfig(upstreams.A.Address, log: "access = \"off\"", listener: $"""
            [listener.tls]
            cert = "{Pki.Path("a.pem")}"
            key = "{Pki.Path("a.key")}"
            {tls}
            [[listener.tls.sni]]
            names = ["b.test"]
            cert = "{Pki.Path("b.pem")}"
            key = "{Pki.Path("b.key")}"
            """);
    }

    [Fact]
    public async Task Alpn_ServerOrderWins_NoneOfferedIsHttp11_UnknownRefused()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());

        // The client prefers http/1.1; the listener's order (h2 first) decides.
        var (_, both) = await TlsOpenSslClient.RunAsync(gateway.Port, "", "-servername", "a.test", "-alpn", "http/1.1,h2");
        Assert.Contains("ALPN protocol: h2", both);

        var (_, none) = await TlsOpenSslClient.RunAsync(gateway.Port, TlsOpenSslClient.Get("/"), "-servername", "a.test");
        Assert.Contains("No ALPN negotiated", none);
        Assert.Contains("Hello World!", none);

        var (exit, unknown) = await TlsOpenSslClient.RunAsync(gateway.Port, TlsOpenSslClient.Get("/"), "-servername", "a.test", "-alpn", "spdy/3");
        Assert.NotEqual(0, exit);
        Assert.Contains("no application protocol", unknown);
        Assert.DoesNotContain("Hello World!", unknown);
    }

    [Fact]
    public async Task Alpn_Http11Only_SniCertificateServedWithIt()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config("alpn = [\"http/1.1\"]"));

        var (_, transcript) = await TlsOpenSslClient.RunAsync(gateway.Port, TlsOpenSslClient.Get("/", "b.test"), "-servername", "b.test", "-alpn", "h2,http/1.1");

        Assert.Contains("subject=CN = b.test", transcript);
        Assert.Contains("ALPN protocol: http/1.1", transcript);
        Assert.Contains("Hello World!", transcript);
    }

    [Fact]
    public async Task TruncatedOrCorruptedClientHello_ClosesOnlyThatConnection()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config("handshake_timeout = \"2s\""));
        var hello = await ClientHelloAsync();

        // Half a ClientHello, then the client's end of the connection.
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, hello[..(hello.Length / 2)], endAfterSending: true));
        // Half a ClientHello, then silence: the handshake timeout closes it.
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, hello[..(hello.Length / 2)], endAfterSending: false));
        // A whole ClientHello, then an application record where the handshake should go on.
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, [.. hello, 0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5], endAfterSending: false));
        // A ClientHello whose body is garbage.
        var garbled = hello.ToArray();
        for (var i = 9; i < garbled.Length; i++)
        {
            garbled[i] ^= 0x5a;
        }
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, garbled, endAfterSending: false));

        var (_, after) = await TlsOpenSslClient.RunAsync(gateway.Port, TlsOpenSslClient.Get("/"), "-servername", "a.test");
        Assert.Contains("Hello World!", after);
        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_tls_handshakes_total", "result=\"failed\"") >= 3, metrics);
        Assert.False(gateway.Process.HasExited);
    }

    /// <summary>The first flight of a real client (SslStream), captured without a server.</summary>
    private static async Task<byte[]> ClientHelloAsync()
    {
        var capture = new HelloCapture();
        await using var client = new SslStream(capture);
        try
        {
            await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "a.test",
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            });
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            // No server answers; the hello is what was written.
        }
        return capture.Written.ToArray();
    }

    /// <summary>A stream that keeps what is written and ends at once when read.</summary>
    private sealed class HelloCapture : Stream
    {
        public MemoryStream Written { get; } = new();
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => 0;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
