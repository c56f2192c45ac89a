using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using FastGate.Core.Tls.OpenSsl;
using FastGate.Core.Transport;

namespace FastGate.Core.Tests.Tls;

/// <summary>
/// The TLS record path at the pipe level, against real OpenSSL on both sides: the transport runs
/// over one end of an in-memory pair with no loop (every continuation inline, on the test's
/// thread), and an OpenSSL client on memory BIOs puts bytes on the other end split as each test
/// wants them.
/// </summary>
public sealed class OpenSslLoopTransportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-openssl-loop-").FullName;
    private readonly OpenSslServerContext _context;
    private readonly InMemoryTransport _wire;
    private readonly OpenSslLoopTransport _tls;
    private readonly OpenSslTestClient _client;

    public OpenSslLoopTransportTests()
    {
        _context = OpenSslTestContexts.SelfSigned(_directory, "a.test", "h2", "http/1.1");
        var (client, server) = InMemoryTransport.CreatePair();
        _wire = client;
        _tls = new OpenSslLoopTransport(server, new OpenSslServerSession(_context, null, new TlsTicketKeyRing(TimeSpan.FromHours(1)), null), loop: null);
        _client = new OpenSslTestClient("a.test", ["http/1.1"]);
    }

    public void Dispose()
    {
        _tls.Dispose();
        _wire.Dispose();
        _client.Dispose();
        _context.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Runs the handshake: the client's flights go over the wire, the server's come back.</summary>
    private void Handshake()
    {
        var handshake = _tls.HandshakeAsync();
        for (var round = 0; round < 20; round++)
        {
            var clientDone = _client.HandshakeStep();
            Send(_client.TakeRecords());
            ReceiveIntoClient();
            if (clientDone && handshake.IsCompleted)
            {
                break;
            }
        }
        Assert.True(handshake.IsCompletedSuccessfully, handshake.Exception?.ToString());
        Assert.Equal(SslApplicationProtocol.Http11, _tls.NegotiatedApplicationProtocol);
        // The session tickets that follow the handshake.
        ReceiveIntoClient();
        _client.ReadPlaintext(new byte[64]);
    }

    /// <summary>Puts <paramref name="bytes"/> on the wire to the server in one write.</summary>
    private void Send(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        _wire.Output.Write(bytes);
        var flushing = _wire.Output.FlushAsync();
        Assert.True(flushing.IsCompleted);
        flushing.GetAwaiter().GetResult();
    }

    /// <summary>Moves what the server wrote on the wire into the client; false when the server closed the wire.</summary>
    private bool ReceiveIntoClient()
    {
        if (!_wire.Input.TryRead(out var result))
        {
            return true;
        }
        foreach (var segment in result.Buffer)
        {
            _client.Receive(segment.Span);
        }
        _wire.Input.AdvanceTo(result.Buffer.End);
        return !result.IsCompleted;
    }

    /// <summary>Reads plaintext from the transport until <paramref name="length"/> bytes came (or the end).</summary>
    private byte[] ReadPlaintext(int length)
    {
        var received = new ArrayBufferWriter<byte>();
        while (received.WrittenCount < length)
        {
            var reading = _tls.Input.ReadAsync();
            Assert.True(reading.IsCompleted, "the plaintext should be there without waiting");
            var result = reading.GetAwaiter().GetResult();
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }
            _tls.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        return received.WrittenSpan.ToArray();
    }

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + i / 251);
        }
        return bytes;
    }

    [Fact]
    public void Read_RecordSplitAtEveryByte_GivesTheWholeRequest()
    {
        Handshake();
        var request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();
        _client.Write(request);
        var records = _client.TakeRecords();

        foreach (var b in records)
        {
            Send([b]);
        }

        Assert.Equal(request, ReadPlaintext(request.Length));
    }

    [Fact]
    public void Read_ManyRecordsInOneWrite_GivesThemAllInOrder()
    {
        Handshake();
        var expected = new List<byte>();
        for (var i = 0; i < 50; i++)
        {
            var message = System.Text.Encoding.ASCII.GetBytes($"message {i};");
            _client.Write(message);
            expected.AddRange(message);
        }

        Send(_client.TakeRecords());

        Assert.Equal(expected.ToArray(), ReadPlaintext(expected.Count));
    }

    [Fact]
    public void Read_MoreThanTheReaderHolds_ComesAsTheReaderTakesIt()
    {
        Handshake();
        var body = Pattern(200 * 1024);
        _client.Write(body);

        // Seven full records and the rest in one write: more than the plaintext pipe takes before
        // the read pump waits for the reader.
        Send(_client.TakeRecords());

        Assert.Equal(body, ReadPlaintext(body.Length));
    }

    [Fact]
    public void Write_LargerThanARecordAndSplitOverBlocks_ArrivesWhole()
    {
        Handshake();
        var head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"u8.ToArray();
        var body = Pattern(100_000);

        _tls.Output.Write(head);
        _tls.Output.Write(body);
        var flushing = _tls.Output.FlushAsync();

        Assert.True(flushing.IsCompletedSuccessfully);
        var received = new ArrayBufferWriter<byte>();
        var plain = new byte[32 * 1024];
        ReceiveIntoClient();
        int read;
        while ((read = _client.ReadPlaintext(plain)) > 0)
        {
            received.Write(plain.AsSpan(0, read));
        }
        Assert.Equal([.. head, .. body], received.WrittenSpan.ToArray());
    }

    [Fact]
    public void Read_ClientCloseNotify_EndsTheInputWithoutError()
    {
        Handshake();
        _client.Write("last"u8);
        _client.Shutdown();

        Send(_client.TakeRecords());

        Assert.Equal("last"u8.ToArray(), ReadPlaintext(100));
    }

    [Fact]
    public async Task Dispose_SendsCloseNotifyThenClosesTheWire()
    {
        Handshake();
        _tls.Output.Write("bye"u8);
        await _tls.Output.FlushAsync();

        _tls.Dispose();

        var open = ReceiveIntoClient();
        var plain = new byte[64];
        Assert.Equal(3, _client.ReadPlaintext(plain));
        Assert.Equal(-1, _client.ReadPlaintext(plain));
        Assert.False(open && ReceiveIntoClient(), "the wire should be closed after close_notify");
    }

    [Fact]
    public async Task Read_PeerClosesWithoutCloseNotify_EndsTheInput()
    {
        Handshake();

        _wire.Output.Complete();

        var result = await _tls.Input.ReadAsync();
        Assert.True(result.IsCompleted);
        Assert.True(result.Buffer.IsEmpty);
    }

    [Fact]
    public async Task Read_PeerResets_ReaderSeesAnIOException()
    {
        Handshake();

        _wire.Output.Complete(new IOException("connection reset by peer"));

        await Assert.ThrowsAsync<IOException>(async () => await _tls.Input.ReadAsync());
    }

    [Fact]
    public async Task Read_ForgedRecord_ReaderSeesAnIOException()
    {
        Handshake();
        _client.Write("GET / HTTP/1.1\r\n\r\n"u8);
        var records = _client.TakeRecords();
        records[^1] ^= 0x55;

        Send(records);

        await Assert.ThrowsAsync<IOException>(async () => await _tls.Input.ReadAsync());
    }

    [Fact]
    public void RoundTrip_AfterWarmUp_AllocatesNothing()
    {
        Handshake();
        var request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();
        var response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        var records = new byte[16 * 1024];

        bool RoundTrip()
        {
            _client.Write(request);
            Send(records.AsSpan(0, _client.TakeRecords(records)));
            if (!_tls.Input.TryRead(out var result) || result.Buffer.Length != request.Length)
            {
                return false;
            }
            _tls.Input.AdvanceTo(result.Buffer.End);
            _tls.Output.Write(response);
            var flushing = _tls.Output.FlushAsync();
            if (!flushing.IsCompletedSuccessfully)
            {
                return false;
            }
            if (!_wire.Input.TryRead(out var wire))
            {
                return false;
            }
            _wire.Input.AdvanceTo(wire.Buffer.End);
            return wire.Buffer.Length > response.Length;
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.True(RoundTrip());
        }
        var failed = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            failed += RoundTrip() ? 0 : 1;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failed);
        Assert.Equal(0, allocated);
    }
}
