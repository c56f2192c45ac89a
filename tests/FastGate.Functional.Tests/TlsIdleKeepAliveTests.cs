using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// HTTPS keep-alive connections that idle between requests (on the epoll transport they park,
/// holding no worker, as plain ones do): each goes on with the right answer after the pause,
/// whether its next request comes whole, in pieces, pipelined or as a WebSocket upgrade, and
/// the idle timeout still closes one that stays quiet.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class TlsIdleKeepAliveTests(UpstreamsFixture upstreams) : IDisposable
{
    private readonly TempPki _files = new("fastgate-tls-idle-");

    private TestPki Pki => _files.Pki;

    public void Dispose() => _files.Dispose();

    private string Config(string listener = "")
    {
        Pki.Server("a", "a.test", ["a.test"]);
        return UpstreamsFixture.SimpleConfig(upstreams.A.Address, listener: $"""
            {listener}
            [listener.tls]
            cert = "{Pki.Path("a.pem")}"
            key = "{Pki.Path("a.key")}"
            """);
    }

    private async Task<SslStream> ConnectAsync(FastGateProcess gateway)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, gateway.Port));
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "a.test",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => Pki.Trusts(certificate),
        });
        return tls;
    }

    private static byte[] Get(int size) => Encoding.ASCII.GetBytes($"GET /bytes/{size} HTTP/1.1\r\nHost: a.test\r\n\r\n");

    /// <summary>Reads one response framed by Content-Length; its status and body length.</summary>
    private static async Task<(int Status, int Length)> ReadResponseAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new EndOfStreamException("the connection closed before a response head");
            }
            head.Add(one[0]);
        }
        var text = Encoding.Latin1.GetString(head.ToArray());
        var status = int.Parse(text.AsSpan(9, 3));
        var length = 0;
        foreach (var line in text.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line.AsSpan(15).Trim());
            }
        }
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return (status, length);
    }

    [Fact]
    public async Task ManyIdleConnections_EachGetsItsOwnAnswerAfterThePause_WholeInPiecesOrPipelined()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        const int count = 60;
        var connections = new SslStream[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                connections[i] = await ConnectAsync(gateway);
                await connections[i].WriteAsync(Get(100 + i), cts.Token);
                Assert.Equal((200, 100 + i), await ReadResponseAsync(connections[i], cts.Token));
            }

            // Every connection idles between its requests.
            await Task.Delay(TimeSpan.FromSeconds(1), cts.Token);

            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                var tls = connections[i];
                var size = 1000 + i;
                switch (i % 3)
                {
                    case 0:
                        await tls.WriteAsync(Get(size), cts.Token);
                        Assert.Equal((200, size), await ReadResponseAsync(tls, cts.Token));
                        break;
                    case 1:
                        // The next request in two records, apart: the first wakes the connection with half a head.
                        var request = Get(size);
                        await tls.WriteAsync(request.AsMemory(0, 10), cts.Token);
                        await tls.FlushAsync(cts.Token);
                        await Task.Delay(200, cts.Token);
                        await tls.WriteAsync(request.AsMemory(10), cts.Token);
                        Assert.Equal((200, size), await ReadResponseAsync(tls, cts.Token));
                        break;
                    default:
                        // Two requests in one write: both answered, in order.
                        await tls.WriteAsync(Get(size).Concat(Get(size + 1)).ToArray(), cts.Token);
                        Assert.Equal((200, size), await ReadResponseAsync(tls, cts.Token));
                        Assert.Equal((200, size + 1), await ReadResponseAsync(tls, cts.Token));
                        break;
                }
            }));

            // And once more after a second pause: the connections parked again.
            await Task.Delay(TimeSpan.FromMilliseconds(500), cts.Token);
            for (var i = 0; i < count; i++)
            {
                await connections[i].WriteAsync(Get(7), cts.Token);
                Assert.Equal((200, 7), await ReadResponseAsync(connections[i], cts.Token));
            }
        }
        finally
        {
            foreach (var tls in connections)
            {
                if (tls is not null)
                {
                    await tls.DisposeAsync();
                }
            }
        }
    }

    [Fact]
    public async Task IdleTimeout_ClosesAQuietConnectionWithCloseNotify_AClientClosingWhileIdleIsForgotten()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config(listener: "idle_timeout = \"1s\""));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // A client that closes its idle connection (close_notify, then FIN) leaves nothing behind.
        var leaving = await ConnectAsync(gateway);
        await leaving.WriteAsync(Get(10), cts.Token);
        Assert.Equal((200, 10), await ReadResponseAsync(leaving, cts.Token));
        await leaving.ShutdownAsync();
        await leaving.DisposeAsync();

        await using var quiet = await ConnectAsync(gateway);
        await quiet.WriteAsync(Get(10), cts.Token);
        Assert.Equal((200, 10), await ReadResponseAsync(quiet, cts.Token));

        // Nothing more is sent: the gateway ends the connection cleanly (a read sees the end, no reset).
        var buffer = new byte[16];
        Assert.Equal(0, await quiet.ReadAsync(buffer, cts.Token));

        // A new connection is served as before.
        await using var next = await ConnectAsync(gateway);
        await next.WriteAsync(Get(20), cts.Token);
        Assert.Equal((200, 20), await ReadResponseAsync(next, cts.Token));
    }

    [Fact]
    public async Task WebSocketUpgrade_AfterAnIdleKeepAlive_EchoesOverTheSameConnection()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var tls = await ConnectAsync(gateway);
        await tls.WriteAsync(Get(10), cts.Token);
        Assert.Equal((200, 10), await ReadResponseAsync(tls, cts.Token));
        await Task.Delay(TimeSpan.FromMilliseconds(500), cts.Token);

        var key = WebSocketWire.NewKey();
        await tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /ws HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"), cts.Token);
        var head = await WebSocketWire.ReadHeadAsync(tls, cts.Token);
        Assert.NotNull(head);
        Assert.Equal(101, WebSocketWire.Status(head));
        Assert.Equal(WebSocketWire.AcceptFor(key), WebSocketWire.Header(head, "Sec-WebSocket-Accept"));

        await tls.WriteAsync(WebSocketWire.Frame(WebSocketWireFrame.Text, "after the pause"u8), cts.Token);
        var echoed = await WebSocketWire.ReadFrameAsync(tls, cts.Token);
        Assert.NotNull(echoed);
        Assert.Equal(WebSocketWireFrame.Text, echoed.Opcode);
        Assert.Equal("after the pause", Encoding.UTF8.GetString(echoed.Payload));
    }
}
