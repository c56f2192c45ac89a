using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// One client WebSocket on a raw socket (RFC 6455, text messages, no extensions): the upgrade,
/// then one message at a time, sent masked and read back as its echo. The frame to send is built
/// once; each message only rewrites its sequence number (masked in place), so the loop allocates
/// nothing and a load run measures the proxy, not this client. Not thread-safe: one loop owns it.
/// </summary>
internal sealed class WebSocketConnection : IDisposable
{
    private const int MaxHeader = 14;
    private static readonly byte[] Pattern = Encoding.ASCII.GetBytes("abcdefghijklmnopqrstuvwxyz");

    private readonly Socket _socket;
    private readonly byte[] _payload;
    private readonly byte[] _frame;
    private readonly int _payloadOffset;
    private readonly byte[] _mask = new byte[4];
    private readonly byte[] _receive;
    private int _start;
    private int _end;

    private WebSocketConnection(Socket socket, int size, byte[] receive, int start, int end)
    {
        _socket = socket;
        _receive = receive;
        _start = start;
        _end = end;
        RandomNumberGenerator.Fill(_mask);
        _payload = new byte[size];
        for (var i = 0; i < size; i++)
        {
            _payload[i] = Pattern[i % Pattern.Length];
        }
        _frame = new byte[MaxHeader + size];
        var header = WriteHeader(_frame, 0x1, size);
        _mask.CopyTo(_frame, header);
        _payloadOffset = header + 4;
        _frame = _frame.AsSpan(0, _payloadOffset + size).ToArray();
        for (var i = 0; i < size; i++)
        {
            _frame[_payloadOffset + i] = (byte)(_payload[i] ^ _mask[i & 3]);
        }
    }

    /// <summary>Connects, upgrades and checks the 101 and its Sec-WebSocket-Accept.</summary>
    public static async Task<WebSocketConnection> OpenAsync(Target target, int size, CancellationToken cancel)
    {
        var socket = await target.ConnectAsync(cancel);
        try
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = target.RequestHead(
                $"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n");
            await socket.SendAsync(request, SocketFlags.None, cancel);
            var receive = new byte[Math.Max(4096, size + MaxHeader + 256)];
            var head = await HttpHead.ReadAsync(socket, receive, cancel);
            if (head.Status != 101)
            {
                throw new IOException($"upgrade answered {head.Status}, not 101");
            }
            var expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            if (head.WebSocketAccept != expected)
            {
                throw new IOException($"Sec-WebSocket-Accept '{head.WebSocketAccept}' is not '{expected}'");
            }
            return new WebSocketConnection(socket, size, receive, head.HeadLength, head.Read);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends message SEQUENCE: the payload's first bytes carry the number in hex, so an echo of another message does not match.</summary>
    public ValueTask<int> SendAsync(long sequence, CancellationToken cancel)
    {
        var digits = Math.Min(16, _payload.Length);
        var value = (ulong)sequence;
        for (var i = digits - 1; i >= 0; i--)
        {
            _payload[i] = (byte)"0123456789abcdef"[(int)(value & 0xF)];
            value >>= 4;
            _frame[_payloadOffset + i] = (byte)(_payload[i] ^ _mask[i & 3]);
        }
        return _socket.SendAsync(_frame, SocketFlags.None, cancel);
    }

    /// <summary>
    /// Reads the next whole message and compares it with the last one sent. Pings are answered;
    /// returns Echoed, Mismatch (another payload or type) or Closed (a close frame, or end of stream).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<EchoResult> ReceiveEchoAsync(CancellationToken cancel)
    {
        var matched = 0;
        var mismatch = false;
        while (true)
        {
            if (!await FillAsync(2, cancel))
            {
                return EchoResult.Closed;
            }
            var b0 = _receive[_start];
            var b1 = _receive[_start + 1];
            if ((b1 & 0x80) != 0)
            {
                throw new IOException("the server sent a masked frame");
            }
            var opcode = b0 & 0x0F;
            var fin = (b0 & 0x80) != 0;
            int header = 2;
            long length = b1 & 0x7F;
            if (length == 126)
            {
                if (!await FillAsync(4, cancel))
                {
                    return EchoResult.Closed;
                }
                length = BinaryPrimitives.ReadUInt16BigEndian(_receive.AsSpan(_start + 2));
                header = 4;
            }
            else if (length == 127)
            {
                if (!await FillAsync(10, cancel))
                {
                    return EchoResult.Closed;
                }
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(_receive.AsSpan(_start + 2));
                header = 10;
            }
            if (header + length > _receive.Length)
            {
                throw new IOException($"a frame of {length} bytes is larger than the receive buffer");
            }
            if (!await FillAsync(header + (int)length, cancel))
            {
                return EchoResult.Closed;
            }
            var payload = _receive.AsSpan(_start + header, (int)length);
            _start += header + (int)length;
            switch (opcode)
            {
                case 0x8:
                    return EchoResult.Closed;
                case 0x9:
                    await SendControlAsync(0xA, _receive.AsMemory(_start - (int)length, (int)length), cancel);
                    continue;
                case 0xA:
                    continue;
                case 0x1 when matched == 0:
                case 0x0 when matched > 0:
                    if (matched + payload.Length > _payload.Length || !payload.SequenceEqual(_payload.AsSpan(matched, payload.Length)))
                    {
                        mismatch = true;
                    }
                    matched += payload.Length;
                    break;
                default:
                    mismatch = true;
                    break;
            }
            if (fin)
            {
                return mismatch || matched != _payload.Length ? EchoResult.Mismatch : EchoResult.Echoed;
            }
        }
    }

    /// <summary>Sends a close (1000) and waits up to TIMEOUT for the peer's close; then closes the socket.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            var code = new byte[] { 0x03, 0xE8 };
            await SendControlAsync(0x8, code, cts.Token);
            while (await ReceiveEchoAsync(cts.Token) != EchoResult.Closed)
            {
            }
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing is best effort: the figures are already taken.
        }
        finally
        {
            _socket.Dispose();
        }
    }

    public void Dispose() => _socket.Dispose();

    private async ValueTask SendControlAsync(int opcode, ReadOnlyMemory<byte> payload, CancellationToken cancel)
    {
        var frame = new byte[MaxHeader + payload.Length];
        var header = WriteHeader(frame, opcode, payload.Length);
        _mask.CopyTo(frame, header);
        var span = payload.Span;
        for (var i = 0; i < span.Length; i++)
        {
            frame[header + 4 + i] = (byte)(span[i] ^ _mask[i & 3]);
        }
        await _socket.SendAsync(frame.AsMemory(0, header + 4 + payload.Length), SocketFlags.None, cancel);
    }

    /// <summary>FIN, OPCODE, the mask bit and the length; returns where the masking key goes.</summary>
    private static int WriteHeader(byte[] frame, int opcode, int length)
    {
        frame[0] = (byte)(0x80 | opcode);
        if (length < 126)
        {
            frame[1] = (byte)(0x80 | length);
            return 2;
        }
        if (length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)length);
            return 4;
        }
        frame[1] = 0x80 | 127;
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)length);
        return 10;
    }

    /// <summary>Makes COUNT bytes available from _start; false when the peer closed first.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancel)
    {
        if (_end - _start >= count)
        {
            return true;
        }
        if (_start > 0)
        {
            _receive.AsSpan(_start, _end - _start).CopyTo(_receive);
            _end -= _start;
            _start = 0;
        }
        while (_end < count)
        {
            var n = await _socket.ReceiveAsync(_receive.AsMemory(_end), SocketFlags.None, cancel);
            if (n == 0)
            {
                return false;
            }
            _end += n;
        }
        return true;
    }
}

internal enum EchoResult : byte
{
    Echoed,
    Mismatch,
    Closed,
}
