using System.Buffers;
using System.Net.Sockets;
using FastGate.Core.Tests.Transport.Epoll;
using FastGate.Core.Tls.OpenSsl;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Tls;

/// <summary>
/// The TLS record path on a real event loop and socket: the transport over an
/// <see cref="EpollConnection"/>, a responder reading and writing its pipes on the loop as the
/// HTTP code does, and an OpenSSL client on the test thread at the socket's other end.
/// </summary>
public sealed class OpenSslLoopTransportOnLoopTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-openssl-onloop-").FullName;
    private readonly LoopTestHarness _harness = new();
    private readonly OpenSslServerContext _context;

    public OpenSslLoopTransportOnLoopTests()
    {
        _context = OpenSslTestContexts.SelfSigned(_directory, "a.test", "http/1.1");
    }

    public void Dispose()
    {
        _harness.Dispose();
        _context.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static readonly byte[] Response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();

    /// <summary>Answers every chunk of plaintext with <see cref="Response"/>, on the loop, until the input ends.</summary>
    private static async Task RespondAsync(OpenSslLoopTransport tls)
    {
        while (true)
        {
            var result = await tls.Input.ReadAsync();
            var length = result.Buffer.Length;
            tls.Input.AdvanceTo(result.Buffer.End);
            if (length > 0)
            {
                tls.Output.Write(Response);
                await tls.Output.FlushAsync();
            }
            if (result.IsCompleted)
            {
                tls.Dispose();
                return;
            }
        }
    }

    /// <summary>Answers each whole request of <paramref name="requestLength"/> bytes with <see cref="Response"/>, on the loop.</summary>
    private static async Task RespondPerRequestAsync(OpenSslLoopTransport tls, int requestLength)
    {
        long received = 0;
        while (true)
        {
            var result = await tls.Input.ReadAsync();
            received += result.Buffer.Length;
            tls.Input.AdvanceTo(result.Buffer.End);
            if (received >= requestLength)
            {
                received -= requestLength;
                tls.Output.Write(Response);
                await tls.Output.FlushAsync();
            }
            if (result.IsCompleted)
            {
                tls.Dispose();
                return;
            }
        }
    }

    /// <summary>
    /// A TLS transport on the loop over a fresh socket, and an OpenSSL client at the socket's
    /// other end (on the test thread) whose handshake, Finished included, the transport has taken.
    /// </summary>
    private async Task<(OpenSslLoopTransport Tls, EpollConnection Connection, Socket Peer, OpenSslTestClient Client)> HandshakenAsync()
    {
        var (connection, peer) = await _harness.ConnectAsync();
        var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        var tls = new OpenSslLoopTransport(connection, new OpenSslServerSession(_context, null, new TlsTicketKeyRing(TimeSpan.FromHours(1)), null), _harness.Loop);
        var handshake = await _harness.OnLoop(() => new ValueTask<Task>(tls.HandshakeAsync()));
        var wire = new byte[64 * 1024];
        while (!client.HandshakeStep())
        {
            Exchange(peer, client, wire, () => true);
            client.Receive(wire.AsSpan(0, peer.Receive(wire)));
        }
        // The client's Finished.
        Exchange(peer, client, wire, () => true);
        await handshake.WaitAsync(LoopTestHarness.Bound);
        return (tls, connection, peer, client);
    }

    /// <summary>Sends the client's records and moves what comes back into the client until <paramref name="done"/> says so.</summary>
    private static void Exchange(Socket peer, OpenSslTestClient client, byte[] wire, Func<bool> done)
    {
        int taken;
        while ((taken = client.TakeRecords(wire)) > 0)
        {
            peer.Send(wire.AsSpan(0, taken));
        }
        while (!done())
        {
            var received = peer.Receive(wire);
            if (received == 0)
            {
                return;
            }
            client.Receive(wire.AsSpan(0, received));
        }
    }

    [Fact]
    public async Task RoundTrips_OnTheLoop_AllocateNothingOnTheLoopAfterWarmUp()
    {
        var (tls, _, peer, client) = await HandshakenAsync();
        using var peerSocket = peer;
        using var clientSession = client;
        var wire = new byte[64 * 1024];
        var plain = new byte[16 * 1024];
        await _harness.OnLoop(() => { _ = RespondAsync(tls); return true; });
        var request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();

        bool RoundTrip()
        {
            client.Write(request);
            var read = 0;
            Exchange(peer, client, wire, () => (read = client.ReadPlaintext(plain)) > 0);
            return plain.AsSpan(0, read).SequenceEqual(Response);
        }

        for (var i = 0; i < 20; i++)
        {
            Assert.True(RoundTrip());
        }
        var before = await _harness.OnLoop(() => GC.GetAllocatedBytesForCurrentThread());
        var failed = 0;
        for (var i = 0; i < 500; i++)
        {
            failed += RoundTrip() ? 0 : 1;
        }
        var allocated = await _harness.OnLoop(() => GC.GetAllocatedBytesForCurrentThread()) - before;
        Assert.Equal(0, failed);
        // The two reads of the counter themselves run on the loop: a small fixed amount, not per round trip.
        Assert.True(allocated < 2048, $"the loop allocated {allocated} bytes over 500 round trips");

        client.Shutdown();
        Exchange(peer, client, wire, () => client.ReadPlaintext(plain) < 0);
        Assert.Equal(0, peer.Receive(wire));
    }

    [Fact]
    public async Task RoundTrips_OnTheLoop_IdleConnectionHoldsNoPlaintextBlock()
    {
        var (tls, connection, peer, client) = await HandshakenAsync();
        using var peerSocket = peer;
        using var clientSession = client;
        var wire = new byte[64 * 1024];
        var plain = new byte[16 * 1024];
        // A request larger than a record, so its plaintext spans several records and pipe blocks.
        var request = System.Text.Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 40000\r\n\r\n" + new string('x', 40000));
        await _harness.OnLoop(() => { _ = RespondPerRequestAsync(tls, request.Length); return true; });
        for (var i = 0; i < 5; i++)
        {
            client.Write(request);
            var read = 0;
            Exchange(peer, client, wire, () => (read += Math.Max(0, client.ReadPlaintext(plain))) >= Response.Length);
            Assert.Equal(Response.Length, read);
        }
        // The answer to the last request is out: the connection is idle.
        var holds = await _harness.OnLoop(() => (tls.HoldsPlaintextBuffers, connection.HoldsBuffers));
        Assert.False(holds.HoldsPlaintextBuffers);
        Assert.False(holds.HoldsBuffers);

        client.Shutdown();
        Exchange(peer, client, wire, () => client.ReadPlaintext(plain) < 0);
        Assert.Equal(0, peer.Receive(wire));
    }

    /// <summary>Parked on a transport: records that it was told, once, on the loop.</summary>
    private sealed class Waiter : IParkedReader
    {
        public readonly TaskCompletionSource Woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Count;

        public void OnReadable()
        {
            Count++;
            Woken.TrySetResult();
        }
    }

    [Fact]
    public async Task Park_IdleConnection_WokenByARequestInPiecesOnceWhole_ThenByCloseNotify()
    {
        var (tls, _, peer, client) = await HandshakenAsync();
        using var peerSocket = peer;
        using var clientSession = client;
        var wire = new byte[64 * 1024];
        var plain = new byte[16 * 1024];

        var first = new Waiter();
        var parked = await _harness.OnLoop(() => (tls.TryPark(first), tls.IsParked, tls.HoldsPlaintextBuffers));
        Assert.Equal((true, true, false), parked);

        // The request's record in two sends: half a record decrypts to nothing and wakes nobody.
        var request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();
        client.Write(request);
        var records = client.TakeRecords();
        peer.Send(records.AsSpan(0, 10));
        await Task.Delay(200);
        Assert.Equal(0, await _harness.OnLoop(() => first.Count));
        peer.Send(records.AsSpan(10));
        await first.Woken.Task.WaitAsync(LoopTestHarness.Bound);

        var second = new Waiter();
        var (count, read, parkedAgain) = await _harness.OnLoop(() =>
        {
            Assert.True(tls.Input.TryRead(out var result));
            var bytes = result.Buffer.ToArray();
            tls.Input.AdvanceTo(result.Buffer.End);
            tls.Output.Write(Response);
            _ = tls.Output.FlushAsync();
            return (first.Count, bytes, tls.TryPark(second));
        });
        Assert.Equal(1, count);
        Assert.Equal(request, read);
        Assert.True(parkedAgain);
        var answered = 0;
        Exchange(peer, client, wire, () => (answered += Math.Max(0, client.ReadPlaintext(plain))) >= Response.Length);
        Assert.Equal(Response.Length, answered);

        // Parked again, woken by the client's close_notify: the reader sees the end.
        client.Shutdown();
        Exchange(peer, client, wire, () => true);
        await second.Woken.Task.WaitAsync(LoopTestHarness.Bound);
        var completed = await _harness.OnLoop(() =>
        {
            Assert.True(tls.Input.TryRead(out var result));
            tls.Input.AdvanceTo(result.Buffer.End);
            tls.Dispose();
            return result.IsCompleted;
        });
        Assert.True(completed);
    }
}
