using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>One WebSocket frame as a test sends or saw it.</summary>
public sealed record WebSocketWireFrame(bool Fin, int Opcode, bool Masked, byte[] Payload)
{
    public const int Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10;

    /// <summary>The status code of a close frame; 1005 (none) when its payload is empty.</summary>
    public int CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 1005;

    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";
}

/// <summary>
/// RFC 6455 frames written and read byte by byte, independent of the daemon's own code, for
/// tests that must send what a well-behaved client never would (unmasked frames, bad UTF-8,
/// oversized frames) or see exactly what came back.
/// </summary>
public static class WebSocketWire
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    public static string AcceptFor(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));

    /// <summary>A frame; masked with a random key when <paramref name="masked"/> (a client's frames must be).</summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool masked = true, bool fin = true)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        var maskBit = masked ? 0x80 : 0;
        if (payload.Length < 126)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            for (var shift = 56; shift >= 0; shift -= 8)
            {
                header.Add((byte)((long)payload.Length >> shift));
            }
        }
        var key = masked ? RandomNumberGenerator.GetBytes(4) : [];
        header.AddRange(key);
        var frame = new byte[header.Count + payload.Length];
        header.CopyTo(frame);
        payload.CopyTo(frame.AsSpan(header.Count));
        if (masked)
        {
            for (var i = 0; i < payload.Length; i++)
            {
                frame[header.Count + i] ^= key[i & 3];
            }
        }
        return frame;
    }

    public static byte[] CloseFrame(int code, string reason = "", bool masked = true)
    {
        var payload = new byte[2 + Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        return Frame(WebSocketWireFrame.Close, payload, masked);
    }

    /// <summary>The next frame from <paramref name="stream"/>, unmasked; null when the stream ends first.</summary>
    public static async Task<WebSocketWireFrame?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var head = new byte[2];
        if (!await ReadExactlyAsync(stream, head, cancellationToken))
        {
            return null;
        }
        var fin = (head[0] & 0x80) != 0;
        var opcode = head[0] & 0x0F;
        var masked = (head[1] & 0x80) != 0;
        long length = head[1] & 0x7F;
        if (length >= 126)
        {
            var extended = new byte[length == 126 ? 2 : 8];
            if (!await ReadExactlyAsync(stream, extended, cancellationToken))
            {
                return null;
            }
            length = extended.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(extended) : (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
        }
        var key = new byte[masked ? 4 : 0];
        if (masked && !await ReadExactlyAsync(stream, key, cancellationToken))
        {
            return null;
        }
        var payload = new byte[length];
        if (!await ReadExactlyAsync(stream, payload, cancellationToken))
        {
            return null;
        }
        if (masked)
        {
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= key[i & 3];
            }
        }
        return new WebSocketWireFrame(fin, opcode, masked, payload);
    }

    /// <summary>Reads an HTTP head (up to the empty line) byte by byte, so nothing after it is taken from the stream.</summary>
    public static async Task<string?> ReadHeadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return null;
            }
            bytes.Add(one[0]);
            var n = bytes.Count;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n')
            {
                return Encoding.Latin1.GetString(bytes.ToArray());
            }
        }
        return null;
    }

    /// <summary>The value of header <paramref name="name"/> in a head read by <see cref="ReadHeadAsync"/>; null when absent.</summary>
    public static string? Header(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }
        return null;
    }

    public static int Status(string head) => int.Parse(head.Split(' ', 3)[1]);

    private static async Task<bool> ReadExactlyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
