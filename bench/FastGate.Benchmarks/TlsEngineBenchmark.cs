using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Tls.OpenSsl;
using Nerdbank.Streams;

namespace FastGate.Benchmarks;

/// <summary>
/// The server side of TLS, SslStream against FastGate's OpenSSL engine (<see cref="OpenSslStream"/>),
/// with the same client (an SslStream) over the same in-memory duplex stream: a small request and
/// response on an open session (one record each way), and a whole TLS 1.3 handshake. The client's
/// and the in-memory stream's costs are in both rows; the difference is the server engine.
/// </summary>
[MemoryDiagnoser]
public class TlsEngineBenchmark
{
    private static readonly byte[] Request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();
    private static readonly byte[] Response = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHello World!"u8.ToArray();

    [Params("SslStream", "OpenSsl")]
    public string Engine { get; set; } = "";

    private string _directory = "";
    private X509Certificate2 _certificate = null!;
    private SslStreamCertificateContext _sslStreamContext = null!;
    private OpenSslServerContext _openSslContext = null!;
    private TlsTicketKeyRing _ticketKeys = null!;
    private Stream _server = null!;
    private Stream _client = null!;
    private readonly byte[] _buffer = new byte[4096];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("fastgate-tls-bench-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=a.test", key, HashAlgorithmName.SHA256);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_directory, "a.pem");
        var keyPath = Path.Combine(_directory, "a.key");
        File.WriteAllText(certPath, _certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        _sslStreamContext = SslStreamCertificateContext.Create(_certificate, null, offline: true);
        _openSslContext = OpenSslServerContext.Create(new OpenSslServerOptions
        {
            CertificateChainPath = certPath,
            PrivateKeyPath = keyPath,
            ApplicationProtocols = ["h2", "http/1.1"],
        });
        _ticketKeys = new TlsTicketKeyRing(TimeSpan.FromHours(12));
        (_server, _client) = HandshakeAsync().GetAwaiter().GetResult();
        // The first exchange reads the TLS 1.3 tickets on the client.
        RequestResponse().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public async Task RequestResponse()
    {
        await _client.WriteAsync(Request);
        await ReadExactlyAsync(_server, Request.Length);
        await _server.WriteAsync(Response);
        await ReadExactlyAsync(_client, Response.Length);
    }

    [Benchmark]
    public async Task Handshake()
    {
        var (server, client) = await HandshakeAsync();
        client.Dispose();
        server.Dispose();
    }

    /// <summary>Reads as the pipes above TLS do: into a buffer of a pipe block or more, until the whole message came.</summary>
    private async Task ReadExactlyAsync(Stream stream, int length)
    {
        var read = 0;
        while (read < length)
        {
            read += await stream.ReadAsync(_buffer.AsMemory(read));
        }
    }

    private async Task<(Stream Server, Stream Client)> HandshakeAsync()
    {
        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        var client = new SslStream(clientSide, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        var clientHandshake = client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "a.test",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        Stream server;
        if (Engine == "OpenSsl")
        {
            var tls = new OpenSslStream(serverSide, new OpenSslServerSession(_openSslContext, null, _ticketKeys, null));
            await tls.AuthenticateAsServerAsync(CancellationToken.None);
            server = tls;
        }
        else
        {
            var ssl = new SslStream(serverSide, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _sslStreamContext,
                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                AllowTlsResume = true,
            });
            server = ssl;
        }
        await clientHandshake;
        return (server, client);
    }
}
