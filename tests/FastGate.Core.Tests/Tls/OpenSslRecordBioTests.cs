using System.Buffers;
using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Core.Tests.Tls;

/// <summary>
/// A session driven as the loop drives it: OpenSSL reads the peer's bytes where the caller holds
/// them and writes its records straight into the caller's output, with no buffer of its own.
/// </summary>
public sealed class OpenSslRecordBioTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-openssl-bio-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private OpenSslServerContext Context() => OpenSslTestContexts.SelfSigned(_directory, "a.test", "http/1.1");

    private static OpenSslServerSession Session(OpenSslServerContext context, IBufferWriter<byte> output) =>
        new(context, null, new TlsTicketKeyRing(TimeSpan.FromHours(1)), null) { Output = output };

    /// <summary>Runs the handshake, handing the server the client's bytes in pieces of <paramref name="piece"/>.</summary>
    private static void Handshake(OpenSslTestClient client, OpenSslServerSession server, ArrayBufferWriter<byte> output, int piece = int.MaxValue)
    {
        for (var round = 0; round < 20; round++)
        {
            var clientDone = client.HandshakeStep();
            var wire = client.TakeRecords();
            var serverDone = server.IsHandshakeComplete;
            for (var at = 0; at < wire.Length && !serverDone; at += piece)
            {
                var received = new ReadOnlySequence<byte>(wire, at, Math.Min(piece, wire.Length - at));
                serverDone = server.Handshake(ref received);
                // OpenSSL takes every byte it is handed while it wants more.
                Assert.True(received.IsEmpty);
            }
            client.Receive(output.WrittenSpan);
            output.ResetWrittenCount();
            if (clientDone && serverDone)
            {
                return;
            }
        }
        Assert.Fail("the handshake did not finish");
    }

    /// <summary>The client reads what the server sent so far (its session tickets) so its next records follow them.</summary>
    private static void Settle(OpenSslTestClient client) => client.ReadPlaintext(new byte[256]);

    [Fact]
    public void Handshake_FedOneByteAtATime_Completes()
    {
        using var context = Context();
        var output = new ArrayBufferWriter<byte>();
        using var server = Session(context, output);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);

        Handshake(client, server, output, piece: 1);

        Assert.True(server.IsHandshakeComplete);
        Assert.Equal("http/1.1", client.NegotiatedProtocol);
        Assert.False(server.HoldsBuffers);
    }

    [Fact]
    public void Handshake_FinishedWithRequest_LeavesTheRequestUnread()
    {
        using var context = Context();
        var output = new ArrayBufferWriter<byte>();
        using var server = Session(context, output);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        var request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();

        client.HandshakeStep();
        var hello = new ReadOnlySequence<byte>(client.TakeRecords());
        Assert.False(server.Handshake(ref hello));
        client.Receive(output.WrittenSpan);
        output.ResetWrittenCount();
        Assert.True(client.HandshakeStep());
        client.Write(request);
        var received = new ReadOnlySequence<byte>(client.TakeRecords());

        Assert.True(server.Handshake(ref received));
        Assert.False(received.IsEmpty);
        var plain = new byte[1024];
        Assert.Equal(OpenSslIoStatus.Data, server.Read(ref received, plain, out var read));
        Assert.Equal(request, plain[..read]);
        Assert.True(received.IsEmpty);
    }

    [Fact]
    public void Records_SplitAtEveryByte_DecryptWhole()
    {
        using var context = Context();
        var output = new ArrayBufferWriter<byte>();
        using var server = Session(context, output);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        Handshake(client, server, output);
        Settle(client);
        var request = "GET /split HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();
        var plain = new byte[1024];
        client.Write(request);
        var whole = new ReadOnlySequence<byte>(client.TakeRecords());
        var length = (int)whole.Length;
        Assert.Equal(OpenSslIoStatus.Data, server.Read(ref whole, plain, out _));

        for (var split = 1; split < length; split++)
        {
            // In two calls: the first part is kept by OpenSSL, the rest completes the record.
            client.Write(request);
            var wire = client.TakeRecords();
            var first = new ReadOnlySequence<byte>(wire, 0, split);
            Assert.Equal(OpenSslIoStatus.WantRead, server.Read(ref first, plain, out _));
            Assert.True(first.IsEmpty);
            var rest = new ReadOnlySequence<byte>(wire, split, wire.Length - split);
            Assert.Equal(OpenSslIoStatus.Data, server.Read(ref rest, plain, out var read));
            Assert.Equal(request, plain[..read]);
            Assert.True(rest.IsEmpty);

            // In one call over two segments of a pipe.
            client.Write(request);
            wire = client.TakeRecords();
            var segmented = Segments.Of(wire[..split], wire[split..]);
            Assert.Equal(OpenSslIoStatus.Data, server.Read(ref segmented, plain, out read));
            Assert.Equal(request, plain[..read]);
            Assert.True(segmented.IsEmpty);
            Assert.Equal(OpenSslIoStatus.WantRead, server.Read(ref segmented, plain, out _));
        }
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Records_TwoInOneRead_SecondLeftForTheNextRead()
    {
        using var context = Context();
        var output = new ArrayBufferWriter<byte>();
        using var server = Session(context, output);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        Handshake(client, server, output);
        Settle(client);
        client.Write("first"u8);
        client.Write("second"u8);
        var received = new ReadOnlySequence<byte>(client.TakeRecords());
        var plain = new byte[1024];

        Assert.Equal(OpenSslIoStatus.Data, server.Read(ref received, plain, out var read));
        Assert.Equal("first"u8.ToArray(), plain[..read]);
        Assert.False(received.IsEmpty);
        Assert.Equal(OpenSslIoStatus.Data, server.Read(ref received, plain, out read));
        Assert.Equal("second"u8.ToArray(), plain[..read]);
        Assert.Equal(OpenSslIoStatus.WantRead, server.Read(ref received, plain, out _));
    }

    [Fact]
    public void Write_LargerThanTheOutput_PartialThenWantWrite_ThenTheRest()
    {
        using var context = Context();
        var handshakeOutput = new ArrayBufferWriter<byte>();
        using var server = Session(context, handshakeOutput);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        Handshake(client, server, handshakeOutput);
        Settle(client);
        var body = new byte[100_000];
        Random.Shared.NextBytes(body);
        var output = new RoomLimitedWriter(5000);
        server.Output = output;

        var rounds = 0;
        var received = new MemoryStream();
        var plain = new byte[32 * 1024];
        while (!server.Write(body))
        {
            // Full: the records made so far go to the peer, and the same write is made again.
            Assert.Equal(5000, output.Written.Length);
            rounds++;
            client.Receive(output.Written);
            output.Clear();
            int read;
            while ((read = client.ReadPlaintext(plain)) > 0)
            {
                received.Write(plain, 0, read);
            }
        }
        client.Receive(output.Written);
        int last;
        while ((last = client.ReadPlaintext(plain)) > 0)
        {
            received.Write(plain, 0, last);
        }

        Assert.True(rounds >= 100_000 / 5000);
        Assert.Equal(body, received.ToArray());
    }

    [Fact]
    public void Read_Garbage_Throws()
    {
        using var context = Context();
        var output = new ArrayBufferWriter<byte>();
        using var server = Session(context, output);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        Handshake(client, server, output);
        var garbage = new ReadOnlySequence<byte>([0x17, 0x03, 0x03, 0x00, 0x20, .. new byte[0x20]]);

        Assert.Throws<OpenSslException>(() => server.Read(ref garbage, new byte[100], out _));
    }

    [Fact]
    public void Handshake_NotAClientHello_RefusedWithAnAlert()
    {
        using var context = Context();
        var output = new ArrayBufferWriter<byte>();
        using var server = Session(context, output);
        var garbage = new ReadOnlySequence<byte>("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray());

        Assert.Throws<OpenSslException>(() => server.Handshake(ref garbage));
    }

    [Fact]
    public void Records_BothWays_AllocateNothingAndHoldNoBuffer()
    {
        using var context = Context();
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        using var server = Session(context, output);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        Handshake(client, server, output);
        var request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();
        var response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        var wire = new byte[64 * 1024];
        var plain = new byte[16 * 1024];

        bool RoundTrip()
        {
            client.Write(request);
            var received = new ReadOnlySequence<byte>(wire, 0, client.TakeRecords(wire));
            var ok = server.Read(ref received, plain, out var read) == OpenSslIoStatus.Data
                && plain.AsSpan(0, read).SequenceEqual(request)
                && server.Read(ref received, plain, out _) == OpenSslIoStatus.WantRead;
            server.Write(response);
            var records = output.WrittenSpan.ToArray();
            output.ResetWrittenCount();
            return ok && client.Read(records, plain) == response.Length;
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.True(RoundTrip());
        }
        // The records array per round above is the test's; the session's own work is counted here.
        var failed = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            client.Write(request);
            var received = new ReadOnlySequence<byte>(wire, 0, client.TakeRecords(wire));
            failed += server.Read(ref received, plain, out _) == OpenSslIoStatus.Data ? 0 : 1;
            server.Write(response);
            output.ResetWrittenCount();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failed);
        Assert.Equal(0, allocated);
        Assert.False(server.HoldsBuffers);
    }

    /// <summary>An output with room for a fixed count of bytes, until cleared: an empty span when full.</summary>
    private sealed class RoomLimitedWriter(int room) : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[room];
        private int _written;

        public byte[] Written => _buffer[.._written];

        public void Clear() => _written = 0;

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.AsMemory(_written);

        public Span<byte> GetSpan(int sizeHint = 0) => _buffer.AsSpan(_written);
    }

    /// <summary>A byte sequence over several arrays, as a pipe hands out one split over its blocks.</summary>
    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Of(byte[] first, byte[] second)
        {
            var head = new Segments(first, 0);
            var tail = new Segments(second, first.Length);
            head.Next = tail;
            return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
        }
    }
}
