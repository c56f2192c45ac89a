using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace FastGate.Proxy.Tests.WebSockets;

/// <summary>RFC 6455 frames built and read byte by byte for the tunnel tests, apart from the code under test.</summary>
internal static class TestFrames
{
    public const int Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10;

    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool masked, bool fin = true)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        var maskBit = masked ? 0x80 : 0;
        if (payload.Length < 126)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        byte[] key = [0x12, 0x34, 0x56, 0x78];
        if (masked)
        {
            header.AddRange(key);
        }
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

    public static byte[] CloseFrame(int code, bool masked)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        return Frame(Close, payload, masked);
    }

    /// <summary>Reads one frame: (opcode, masked, unmasked payload).</summary>
    public static async Task<(int Opcode, bool Masked, byte[] Payload)> ReadFrameAsync(PipeReader reader)
    {
        var head = await ReadExactlyAsync(reader, 2);
        var masked = (head[1] & 0x80) != 0;
        var length = head[1] & 0x7F;
        if (length == 126)
        {
            var extended = await ReadExactlyAsync(reader, 2);
            length = BinaryPrimitives.ReadUInt16BigEndian(extended);
        }
        var key = masked ? await ReadExactlyAsync(reader, 4) : [];
        var payload = await ReadExactlyAsync(reader, length);
        for (var i = 0; masked && i < payload.Length; i++)
        {
            payload[i] ^= key[i & 3];
        }
        return (head[0] & 0x0F, masked, payload);
    }

    public static int CloseCode(byte[] payload) => BinaryPrimitives.ReadUInt16BigEndian(payload);

    public static async Task<byte[]> ReadExactlyAsync(PipeReader reader, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var result = await reader.ReadAsync(cts.Token);
            var buffer = result.Buffer;
            if (buffer.Length >= count)
            {
                var bytes = buffer.Slice(0, count).ToArray();
                reader.AdvanceTo(buffer.GetPosition(count));
                return bytes;
            }
            if (result.IsCompleted)
            {
                throw new EndOfStreamException($"ended after {buffer.Length} of {count} bytes");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>True when the stream ends with nothing more in it.</summary>
    public static async Task<bool> EndsAsync(PipeReader reader)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = await reader.ReadAsync(cts.Token);
        var ended = result.IsCompleted && result.Buffer.IsEmpty;
        reader.AdvanceTo(result.Buffer.Start);
        return ended;
    }
}
