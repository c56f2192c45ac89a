using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FastGate.Core.Buffers;
using FastGate.Core.HPack;
using FastGate.Core.Http2;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// A minimal HTTP/2 client on a raw socket, for what HttpClient hides: which frames the daemon
/// sends (GOAWAY with its code and last stream id) and when the connection closes.
/// </summary>
internal sealed class Http2WireClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly HPackEncoder _encoder = new();

    private Http2WireClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public readonly record struct Frame(Http2FrameType Type, Http2Flags Flags, int StreamId, byte[] Payload)
    {
        public bool Has(Http2Flags flag) => (Flags & flag) != 0;
        public int GoAwayLastStreamId => BinaryPrimitives.ReadInt32BigEndian(Payload) & int.MaxValue;
        public Http2ErrorCode GoAwayCode => (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4));
    }

    /// <summary>Connects, sends the preface and an empty SETTINGS.</summary>
    public static Task<Http2WireClient> ConnectAsync(int port) => ConnectAsync(port, []);

    /// <summary>Connects, sends the preface and a SETTINGS of <paramref name="settings"/>.</summary>
    public static async Task<Http2WireClient> ConnectAsync(int port, Http2Setting[] settings)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var client = new Http2WireClient(socket);
        var output = new PooledByteBuffer();
        output.Write(Http2FrameReader.ClientPreface);
        Http2FrameWriter.WriteSettings(output, settings);
        await client.SendAsync(output);
        return client;
    }

    /// <summary>A WINDOW_UPDATE of <paramref name="increment"/> bytes for <paramref name="streamId"/> (0: the connection).</summary>
    public async Task WindowUpdateAsync(int streamId, int increment)
    {
        var output = new PooledByteBuffer();
        Http2FrameWriter.WriteWindowUpdate(output, streamId, increment);
        await SendAsync(output);
    }

    /// <summary>A RST_STREAM with <paramref name="code"/> for <paramref name="streamId"/>.</summary>
    public async Task ResetAsync(int streamId, Http2ErrorCode code)
    {
        var output = new PooledByteBuffer();
        Http2FrameWriter.WriteRstStream(output, streamId, code);
        await SendAsync(output);
    }

    /// <summary>A GET on <paramref name="streamId"/> with END_STREAM.</summary>
    public Task GetAsync(int streamId, string path, int port) => RequestAsync(streamId, "GET", path, port, endStream: true);

    /// <summary>A request's HEADERS on <paramref name="streamId"/>; without END_STREAM a body or trailers are to follow.</summary>
    public async Task RequestAsync(int streamId, string method, string path, int port, bool endStream)
    {
        var block = new PooledByteBuffer();
        _encoder.BeginBlock(block);
        _encoder.Encode(block, ":method"u8, System.Text.Encoding.ASCII.GetBytes(method));
        _encoder.Encode(block, ":scheme"u8, "http"u8);
        _encoder.Encode(block, ":path"u8, System.Text.Encoding.ASCII.GetBytes(path));
        _encoder.Encode(block, ":authority"u8, System.Text.Encoding.ASCII.GetBytes($"127.0.0.1:{port}"));
        await SendHeadersAsync(streamId, block, endStream);
    }

    /// <summary>A trailer section (HEADERS with END_STREAM) of one field on <paramref name="streamId"/>.</summary>
    public async Task TrailersAsync(int streamId, string name, string value)
    {
        var block = new PooledByteBuffer();
        _encoder.BeginBlock(block);
        _encoder.Encode(block, System.Text.Encoding.ASCII.GetBytes(name), System.Text.Encoding.ASCII.GetBytes(value));
        await SendHeadersAsync(streamId, block, endStream: true);
    }

    private async Task SendHeadersAsync(int streamId, PooledByteBuffer block, bool endStream)
    {
        var output = new PooledByteBuffer();
        Http2FrameWriter.WriteHeaders(output, streamId, block.WrittenSpan, endStream, 16_384);
        block.Release();
        await SendAsync(output);
    }

    private async Task SendAsync(PooledByteBuffer output)
    {
        await _stream.WriteAsync(output.WrittenSpan.ToArray());
        output.Release();
    }

    /// <summary>The next frame; null when the daemon closed the connection.</summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[Http2FrameHeader.Size];
        if (!await ReadExactlyAsync(header, cts.Token))
        {
            return null;
        }
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = new byte[length];
        if (!await ReadExactlyAsync(payload, cts.Token))
        {
            return null;
        }
        return new Frame((Http2FrameType)header[3], (Http2Flags)header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue, payload);
    }

    /// <summary>Frames until one of <paramref name="type"/> (on <paramref name="streamId"/>, when given) or the end of the connection.</summary>
    public async Task<(Frame? Found, List<Frame> Seen)> ReadUntilAsync(Func<Frame, bool> match, TimeSpan timeout)
    {
        var seen = new List<Frame>();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var frame = await ReadFrameAsync(deadline - DateTime.UtcNow);
            if (frame is null)
            {
                return (null, seen);
            }
            seen.Add(frame.Value);
            if (match(frame.Value))
            {
                return (frame, seen);
            }
        }
        return (null, seen);
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            }
            catch (IOException)
            {
                return false;
            }
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
