using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using FastGate.Core.Buffers;
using FastGate.Core.HPack;
using FastGate.Core.Http2;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// A client that opens its HTTP/2 windows wide and then stops reading its socket: the daemon's
/// writer waits on TCP, not on a window, and [http2] stall_timeout still bounds it. The
/// connection is closed and counted (send_stall), and other clients are served meanwhile; over
/// h2c and over TLS, where the records of the writer's frames wait on TCP beneath the TLS layer.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class Http2SendStallTests(UpstreamsFixture upstreams) : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private const string Open = "fastgate_http2_connections_open{listener=\"web\"}";
    private const string SendStall = "fastgate_http2_defense_total{listener=\"web\",kind=\"send_stall\"}";

    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-h2-stall-").FullName;
    private TestPki? _pki;

    public void Dispose()
    {
        _pki?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Config(string listener = "h2c = true") => $$"""
        [admin]
        listen = "{admin}"
        [log]
        access = "off"
        [http2]
        stall_timeout = "2s"
        [[listener]]
        name = "web"
        listen = "{listen}"
        {{listener}}
        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"
        [cluster.mock]
        endpoints = ["{{upstreams.A.Address}}"]
        """;

    [Fact]
    public async Task ClientStopsReadingWithWindowsOpen_ConnectionClosedAfterStallTimeout()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        using var bystander = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Generous,
        };
        await StallAndExpectCloseAsync(gateway, bystander, tls: null);
    }

    [Fact]
    public async Task OverTls_ClientStopsReadingWithWindowsOpen_ConnectionClosedAfterStallTimeout()
    {
        var pki = _pki = new TestPki(_directory);
        pki.Server("a", "a.test", ["a.test"]);
        await using var gateway = await FastGateProcess.StartAsync(Config($"""
            [listener.tls]
            cert = "{pki.Path("a.pem")}"
            key = "{pki.Path("a.key")}"
            """));
        var port = gateway.Port;
        using var bystander = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, _) => pki.Trusts(certificate) },
        })
        {
            BaseAddress = new Uri($"https://a.test:{port}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Generous,
        };
        await StallAndExpectCloseAsync(gateway, bystander, tls: pki);
    }

    /// <summary>The stalling client (TLS with ALPN h2 when <paramref name="tls"/> is given) stops reading; the daemon closes it, the bystander is served throughout.</summary>
    private static async Task StallAndExpectCloseAsync(FastGateProcess gateway, HttpClient bystander, TestPki? tls)
    {
        Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync("/")).StatusCode);
        var metrics = await gateway.MetricsAsync();
        var openBefore = FastGateProcess.Metric(metrics, Open);
        var stallsBefore = FastGateProcess.Metric(metrics, SendStall);

        // A small receive buffer, so the daemon's bytes pile up in its own socket soon.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, gateway.Port));
        SslStream? session = null;
        if (tls is null)
        {
            await socket.SendAsync(StallingRequest(gateway.Port, "http"u8));
        }
        else
        {
            // Never read again after the handshake: the records pile up in the daemon's socket.
            session = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: true);
            using var handshake = new CancellationTokenSource(Generous);
            await session.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "a.test",
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => tls.Trusts(certificate),
            }, handshake.Token);
            Assert.Equal(SslApplicationProtocol.Http2, session.NegotiatedApplicationProtocol);
            await session.WriteAsync(StallingRequest(gateway.Port, "https"u8));
            await session.FlushAsync();
        }

        await WaitUntilAsync(gateway, m => FastGateProcess.Metric(m, Open) > openBefore, "the stalling connection never opened");
        // The writer is stuck on TCP now; another client is served all the same.
        Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync("/")).StatusCode);

        await WaitUntilAsync(gateway, m => FastGateProcess.Metric(m, SendStall) > stallsBefore, $"{SendStall} did not rise");
        await WaitUntilAsync(gateway, m => FastGateProcess.Metric(m, Open) <= openBefore, "the stalled connection stayed open");

        // The daemon let go of the socket: reading now drains what was in flight and meets its end.
        Assert.True(await ReadsToEndAsync(socket), "the daemon kept the stalled socket open");
        Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync("/")).StatusCode);
        session?.Dispose();
    }

    /// <summary>Preface, SETTINGS with the largest stream window, the connection window raised to the largest, and a GET of a 50 MB body.</summary>
    private static byte[] StallingRequest(int port, ReadOnlySpan<byte> scheme)
    {
        var output = new PooledByteBuffer();
        output.Write(Http2FrameReader.ClientPreface);
        Http2FrameWriter.WriteSettings(output, [new Http2Setting(Http2SettingId.InitialWindowSize, int.MaxValue)]);
        Http2FrameWriter.WriteWindowUpdate(output, 0, int.MaxValue - Http2PeerSettings.DefaultWindowSize);
        var block = new PooledByteBuffer();
        var encoder = new HPackEncoder();
        encoder.BeginBlock(block);
        encoder.Encode(block, ":method"u8, "GET"u8);
        encoder.Encode(block, ":scheme"u8, scheme);
        encoder.Encode(block, ":path"u8, "/bytes/50000000"u8);
        encoder.Encode(block, ":authority"u8, System.Text.Encoding.ASCII.GetBytes($"127.0.0.1:{port}"));
        Http2FrameWriter.WriteHeaders(output, 1, block.WrittenSpan, endStream: true, 16_384);
        var bytes = output.WrittenSpan.ToArray();
        block.Release();
        output.Release();
        return bytes;
    }

    private static async Task WaitUntilAsync(FastGateProcess gateway, Func<string, bool> done, string failure)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!done(await gateway.MetricsAsync()))
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(200);
        }
    }

    /// <summary>True when the socket ends (FIN or reset) before the margin; what was already sent is read and dropped.</summary>
    private static async Task<bool> ReadsToEndAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(Generous);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
