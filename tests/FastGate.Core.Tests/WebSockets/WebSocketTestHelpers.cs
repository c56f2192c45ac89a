using System.Buffers;
using System.Buffers.Binary;
using FastGate.Core.WebSockets;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>What a validator said after a whole stream: the verdict, and the state a proxy reads.</summary>
internal readonly record struct Verdict(WebSocketFrameStatus Status, ushort CloseCode, string? Reason, bool CloseSeen, bool AtMessageBoundary)
{
    public override string ToString() => $"{Status} {CloseCode} '{Reason}' closeSeen={CloseSeen} boundary={AtMessageBoundary}";
}

internal static class WebSocketTestHelpers
{
    public const int Continuation = 0x0;
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;

    /// <summary>The mask key of the RFC 6455 §5.7 examples.</summary>
    public const uint RfcMaskKey = 0x37FA213D;

    public static readonly WebSocketLimits Unlimited = new(0, 0, validateUtf8: true);

    /// <summary>
    /// One frame on the wire. <paramref name="lengthBytes"/> forces the length encoding (0: 7-bit, 2 or 8)
    /// so non-minimal encodings can be built; -1 picks the minimal one. A masked payload is masked here.
    /// </summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool masked, bool fin = true, int rsv = 0,
        uint maskKey = RfcMaskKey, int lengthBytes = -1, long? declaredLength = null)
    {
        long length = declaredLength ?? payload.Length;
        if (lengthBytes < 0)
        {
            lengthBytes = length < 126 ? 0 : length <= ushort.MaxValue ? 2 : 8;
        }

        var frame = new List<byte>(payload.Length + 14)
        {
            (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode),
        };
        int maskBit = masked ? 0x80 : 0;
        switch (lengthBytes)
        {
            case 0:
                frame.Add((byte)(maskBit | (int)length));
                break;
            case 2:
                frame.Add((byte)(maskBit | 126));
                frame.Add((byte)(length >> 8));
                frame.Add((byte)length);
                break;
            default:
                frame.Add((byte)(maskBit | 127));
                for (int shift = 56; shift >= 0; shift -= 8)
                {
                    frame.Add((byte)((ulong)length >> shift));
                }

                break;
        }

        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(key, maskKey);
        if (masked)
        {
            frame.AddRange(key.ToArray());
        }

        for (int i = 0; i < payload.Length; i++)
        {
            frame.Add(masked ? (byte)(payload[i] ^ key[i & 3]) : payload[i]);
        }

        return [.. frame];
    }

    /// <summary>A close payload: the code big-endian, then the reason bytes.</summary>
    public static byte[] ClosePayload(ushort code, ReadOnlySpan<byte> reason = default)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reason.CopyTo(payload.AsSpan(2));
        return payload;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public static WebSocketFrameValidator NewValidator(bool fromClient, bool compression = false, WebSocketLimits? limits = null) =>
        new(limits ?? Unlimited, fromClient, compression);

    /// <summary>Feeds the pieces in order, stopping at the first violation as a proxy would.</summary>
    public static Verdict Feed(ref WebSocketFrameValidator validator, IEnumerable<ReadOnlyMemory<byte>> pieces)
    {
        WebSocketFrameStatus status = WebSocketFrameStatus.Ok;
        foreach (ReadOnlyMemory<byte> piece in pieces)
        {
            status = validator.Validate(piece.Span);
            if (status == WebSocketFrameStatus.Violation)
            {
                break;
            }
        }

        return new Verdict(status, validator.CloseCode, validator.Reason, validator.CloseSeen, validator.AtMessageBoundary);
    }

    public static Verdict Run(byte[] stream, bool fromClient, bool compression = false, WebSocketLimits? limits = null)
    {
        WebSocketFrameValidator validator = NewValidator(fromClient, compression, limits);
        return Feed(ref validator, [stream]);
    }

    /// <summary>
    /// Runs <paramref name="stream"/> whole, in two pieces at every split point, byte by byte, and as a
    /// multi-segment <see cref="ReadOnlySequence{T}"/> of single bytes; asserts every run gives the same
    /// verdict, and returns it.
    /// </summary>
    public static Verdict RunAtEverySplit(byte[] stream, bool fromClient, bool compression = false, WebSocketLimits? limits = null)
    {
        Verdict whole = Run(stream, fromClient, compression, limits);
        for (int split = 0; split <= stream.Length; split++)
        {
            WebSocketFrameValidator validator = NewValidator(fromClient, compression, limits);
            Verdict pieces = Feed(ref validator, [stream.AsMemory(0, split), stream.AsMemory(split)]);
            Assert.True(whole == pieces, $"split at {split} of {stream.Length}: {pieces}, whole: {whole}");
        }

        WebSocketFrameValidator byteWise = NewValidator(fromClient, compression, limits);
        Verdict bytes = Feed(ref byteWise, Enumerable.Range(0, stream.Length).Select(i => (ReadOnlyMemory<byte>)stream.AsMemory(i, 1)));
        Assert.True(whole == bytes, $"byte by byte: {bytes}, whole: {whole}");

        if (stream.Length > 1)
        {
            WebSocketFrameValidator sequenceValidator = NewValidator(fromClient, compression, limits);
            ReadOnlySequence<byte> sequence = SingleByteSegments(stream);
            WebSocketFrameStatus status = sequenceValidator.Validate(sequence);
            var fromSequence = new Verdict(status, sequenceValidator.CloseCode, sequenceValidator.Reason,
                sequenceValidator.CloseSeen, sequenceValidator.AtMessageBoundary);
            Assert.True(whole == fromSequence, $"sequence of single bytes: {fromSequence}, whole: {whole}");
        }

        return whole;
    }

    /// <summary>A sequence whose every segment is one byte, to drive the multi-segment path.</summary>
    public static ReadOnlySequence<byte> SingleByteSegments(byte[] data)
    {
        var first = new Segment(data.AsMemory(0, 1), 0);
        Segment last = first;
        for (int i = 1; i < data.Length; i++)
        {
            last = last.Append(data.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
