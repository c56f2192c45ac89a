using System.Buffers;
using FastGate.Core.Http2;

namespace FastGate.Core.Tests.Http2;

/// <summary>Frames by hand, as the RFC draws them, and inputs cut the ways a socket cuts them.</summary>
internal static class Http2TestHelpers
{
    /// <summary>"00 00 05 00 01" or "0000050001": bytes from hex, spaces ignored.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    /// <summary>One frame on the wire: the 9-byte header (length from the payload unless given) and the payload.</summary>
    public static byte[] Frame(byte type, byte flags, uint streamId, ReadOnlySpan<byte> payload, int? declaredLength = null)
    {
        int length = declaredLength ?? payload.Length;
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(length >> 16);
        frame[1] = (byte)(length >> 8);
        frame[2] = (byte)length;
        frame[3] = type;
        frame[4] = flags;
        frame[5] = (byte)(streamId >> 24);
        frame[6] = (byte)(streamId >> 16);
        frame[7] = (byte)(streamId >> 8);
        frame[8] = (byte)streamId;
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    public static Http2FrameHeader Header(Http2FrameType type, Http2Flags flags, int streamId, int length)
        => new(length, type, flags, streamId);

    /// <summary>What the writer wrote, as one array.</summary>
    public static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }

    public static ReadOnlySequence<byte> OneSegment(byte[] bytes) => new(bytes);

    /// <summary>The bytes as a sequence of segments of the given lengths (the last takes the rest).</summary>
    public static ReadOnlySequence<byte> Segments(byte[] bytes, params int[] cuts)
    {
        var chunks = new List<byte[]>();
        int offset = 0;
        foreach (int cut in cuts)
        {
            chunks.Add(bytes[offset..cut]);
            offset = cut;
        }

        chunks.Add(bytes[offset..]);
        return Chain(chunks);
    }

    /// <summary>One segment per byte: every boundary a read could fall on at once.</summary>
    public static ReadOnlySequence<byte> BytePerSegment(byte[] bytes) => Chain(bytes.Select(b => new[] { b }).ToList());

    /// <summary>Segments of arbitrary chunks, empty ones allowed (a pipe may hand those out too).</summary>
    public static ReadOnlySequence<byte> Chain(IReadOnlyList<byte[]> chunks)
    {
        if (chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        Segment last = first;
        for (int i = 1; i < chunks.Count; i++)
        {
            last = last.Append(chunks[i]);
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

/// <summary>An output that counts GetSpan and Advance calls, to show one pair per frame.</summary>
internal sealed class CountingBufferWriter : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _inner = new();

    public int GetSpanCalls { get; private set; }

    public int AdvanceCalls { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _inner.WrittenSpan;

    public void Advance(int count)
    {
        AdvanceCalls++;
        _inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => throw new NotSupportedException("The frame writer asks for spans.");

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        GetSpanCalls++;
        return _inner.GetSpan(sizeHint);
    }
}
