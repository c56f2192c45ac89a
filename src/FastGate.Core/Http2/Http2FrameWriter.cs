using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastGate.Core.Http2;

/// <summary>Writes frames (RFC 9113 §6) into an output; the caller keeps to the peer's frame size and windows.</summary>
/// <remarks>
/// Each frame is written with one <c>GetSpan</c> for header and payload together and one <c>Advance</c>, so a
/// pooled buffer writer sees one call pair per frame. Nothing is allocated and no flag is ever set that the
/// method's parameters do not ask for; padding is never sent. Stream ids are written without the reserved bit.
/// </remarks>
public static class Http2FrameWriter
{
    private const int StreamIdMask = 0x7FFF_FFFF;

    /// <summary>The longest GOAWAY debug data written: what fits a frame of the smallest allowed maximum size (16,384), so any peer accepts it.</summary>
    public const int MaxGoAwayDebugData = Http2PeerSettings.MinFrameSize - 8;

    /// <summary>Writes a frame header for a payload the caller writes next.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, int length, Http2FrameType type, Http2Flags flags, int streamId)
    {
        Span<byte> span = output.GetSpan(Http2FrameHeader.Size);
        Header(span, length, type, flags, streamId);
        output.Advance(Http2FrameHeader.Size);
    }

    /// <summary>One DATA frame; <paramref name="data"/> must fit the peer's SETTINGS_MAX_FRAME_SIZE and the windows.</summary>
    public static void WriteData(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> data, bool endStream)
    {
        int size = Http2FrameHeader.Size + data.Length;
        Span<byte> span = output.GetSpan(size);
        Header(span, data.Length, Http2FrameType.Data, endStream ? Http2Flags.EndStream : Http2Flags.None, streamId);
        data.CopyTo(span.Slice(Http2FrameHeader.Size));
        output.Advance(size);
    }

    /// <summary>HEADERS and as many CONTINUATION frames as <paramref name="maxFrameSize"/> needs for <paramref name="block"/>.</summary>
    /// <remarks>
    /// END_STREAM goes on the HEADERS frame (§8.1: CONTINUATION has no such flag) and END_HEADERS on the last
    /// frame of the block. An empty block is one HEADERS frame of length 0 (a trailer section with no fields
    /// still needs one). The frames must reach the peer back to back (§4.3): write them in one go.
    /// </remarks>
    public static void WriteHeaders(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> block, bool endStream, int maxFrameSize)
    {
        CheckFrameSize(maxFrameSize);
        int length = Math.Min(block.Length, maxFrameSize);
        Http2Flags flags = endStream ? Http2Flags.EndStream : Http2Flags.None;
        if (length == block.Length)
        {
            flags |= Http2Flags.EndHeaders;
        }

        int size = Http2FrameHeader.Size + length;
        Span<byte> span = output.GetSpan(size);
        Header(span, length, Http2FrameType.Headers, flags, streamId);
        block.Slice(0, length).CopyTo(span.Slice(Http2FrameHeader.Size));
        output.Advance(size);
        WriteContinuations(output, streamId, block.Slice(length), maxFrameSize);
    }

    /// <summary>A PRIORITY frame; <paramref name="weight"/> is the byte on the wire (the weight less one, §5.3.2).</summary>
    public static void WritePriority(IBufferWriter<byte> output, int streamId, int dependsOn, bool exclusive, byte weight)
    {
        const int Size = Http2FrameHeader.Size + 5;
        Span<byte> span = output.GetSpan(Size);
        Header(span, 5, Http2FrameType.Priority, Http2Flags.None, streamId);
        uint dependency = (uint)(dependsOn & StreamIdMask) | (exclusive ? 0x8000_0000u : 0u);
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(Http2FrameHeader.Size), dependency);
        span[Http2FrameHeader.Size + 4] = weight;
        output.Advance(Size);
    }

    public static void WriteRstStream(IBufferWriter<byte> output, int streamId, Http2ErrorCode code)
    {
        const int Size = Http2FrameHeader.Size + 4;
        Span<byte> span = output.GetSpan(Size);
        Header(span, 4, Http2FrameType.RstStream, Http2Flags.None, streamId);
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(Http2FrameHeader.Size), (uint)code);
        output.Advance(Size);
    }

    /// <summary>A SETTINGS frame with the parameters in order; an empty span writes a SETTINGS frame with no parameters (the defaults).</summary>
    public static void WriteSettings(IBufferWriter<byte> output, ReadOnlySpan<Http2Setting> settings)
    {
        int length = settings.Length * 6;
        int size = Http2FrameHeader.Size + length;
        Span<byte> span = output.GetSpan(size);
        Header(span, length, Http2FrameType.Settings, Http2Flags.None, 0);
        Span<byte> entry = span.Slice(Http2FrameHeader.Size);
        foreach (Http2Setting setting in settings)
        {
            BinaryPrimitives.WriteUInt16BigEndian(entry, (ushort)setting.Id);
            BinaryPrimitives.WriteUInt32BigEndian(entry.Slice(2), setting.Value);
            entry = entry.Slice(6);
        }

        output.Advance(size);
    }

    public static void WriteSettingsAck(IBufferWriter<byte> output) => WriteHeader(output, 0, Http2FrameType.Settings, Http2Flags.Ack, 0);

    /// <summary>PUSH_PROMISE and as many CONTINUATION frames as <paramref name="maxFrameSize"/> needs for <paramref name="block"/>.</summary>
    public static void WritePushPromise(IBufferWriter<byte> output, int streamId, int promisedStreamId, ReadOnlySpan<byte> block, int maxFrameSize)
    {
        CheckFrameSize(maxFrameSize);
        int fragmentLength = Math.Min(block.Length, maxFrameSize - 4);
        Http2Flags flags = fragmentLength == block.Length ? Http2Flags.EndHeaders : Http2Flags.None;
        int size = Http2FrameHeader.Size + 4 + fragmentLength;
        Span<byte> span = output.GetSpan(size);
        Header(span, 4 + fragmentLength, Http2FrameType.PushPromise, flags, streamId);
        BinaryPrimitives.WriteInt32BigEndian(span.Slice(Http2FrameHeader.Size), promisedStreamId & StreamIdMask);
        block.Slice(0, fragmentLength).CopyTo(span.Slice(Http2FrameHeader.Size + 4));
        output.Advance(size);
        WriteContinuations(output, streamId, block.Slice(fragmentLength), maxFrameSize);
    }

    /// <summary>A PING, or with <paramref name="ack"/> the answer to one (the same opaque data, §6.7).</summary>
    public static void WritePing(IBufferWriter<byte> output, ulong opaque, bool ack)
    {
        const int Size = Http2FrameHeader.Size + 8;
        Span<byte> span = output.GetSpan(Size);
        Header(span, 8, Http2FrameType.Ping, ack ? Http2Flags.Ack : Http2Flags.None, 0);
        BinaryPrimitives.WriteUInt64BigEndian(span.Slice(Http2FrameHeader.Size), opaque);
        output.Advance(Size);
    }

    /// <summary>A GOAWAY; debug data past <see cref="MaxGoAwayDebugData"/> bytes is cut (it is for diagnostics only, §6.8).</summary>
    public static void WriteGoAway(IBufferWriter<byte> output, int lastStreamId, Http2ErrorCode code, ReadOnlySpan<byte> debugData)
    {
        if (debugData.Length > MaxGoAwayDebugData)
        {
            debugData = debugData.Slice(0, MaxGoAwayDebugData);
        }

        int length = 8 + debugData.Length;
        int size = Http2FrameHeader.Size + length;
        Span<byte> span = output.GetSpan(size);
        Header(span, length, Http2FrameType.GoAway, Http2Flags.None, 0);
        BinaryPrimitives.WriteInt32BigEndian(span.Slice(Http2FrameHeader.Size), lastStreamId & StreamIdMask);
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(Http2FrameHeader.Size + 4), (uint)code);
        debugData.CopyTo(span.Slice(Http2FrameHeader.Size + 8));
        output.Advance(size);
    }

    /// <summary>A WINDOW_UPDATE (stream 0: the connection's window); <paramref name="increment"/> must be 1 to 2^31-1 (0 is a protocol error for the peer, §6.9).</summary>
    public static void WriteWindowUpdate(IBufferWriter<byte> output, int streamId, int increment)
    {
        if (increment <= 0)
        {
            ThrowIncrement(increment);
        }

        const int Size = Http2FrameHeader.Size + 4;
        Span<byte> span = output.GetSpan(Size);
        Header(span, 4, Http2FrameType.WindowUpdate, Http2Flags.None, streamId);
        BinaryPrimitives.WriteInt32BigEndian(span.Slice(Http2FrameHeader.Size), increment);
        output.Advance(Size);
    }

    private static void WriteContinuations(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> rest, int maxFrameSize)
    {
        while (!rest.IsEmpty)
        {
            int length = Math.Min(rest.Length, maxFrameSize);
            Http2Flags flags = length == rest.Length ? Http2Flags.EndHeaders : Http2Flags.None;
            int size = Http2FrameHeader.Size + length;
            Span<byte> span = output.GetSpan(size);
            Header(span, length, Http2FrameType.Continuation, flags, streamId);
            rest.Slice(0, length).CopyTo(span.Slice(Http2FrameHeader.Size));
            output.Advance(size);
            rest = rest.Slice(length);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Header(Span<byte> span, int length, Http2FrameType type, Http2Flags flags, int streamId)
    {
        // Length is 24 bits; a caller bound by SETTINGS_MAX_FRAME_SIZE (at most 2^24-1) never passes more.
        BinaryPrimitives.WriteInt32BigEndian(span, length << 8 | (byte)type);
        span[4] = (byte)flags;
        BinaryPrimitives.WriteInt32BigEndian(span.Slice(5), streamId & StreamIdMask);
    }

    private static void CheckFrameSize(int maxFrameSize)
    {
        if ((uint)(maxFrameSize - Http2PeerSettings.MinFrameSize) > Http2PeerSettings.MaxFrameSizeLimit - Http2PeerSettings.MinFrameSize)
        {
            ThrowFrameSize(maxFrameSize);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFrameSize(int maxFrameSize)
        => throw new ArgumentOutOfRangeException(nameof(maxFrameSize), maxFrameSize, "SETTINGS_MAX_FRAME_SIZE is 16,384 to 16,777,215 (RFC 9113 §6.5.2).");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIncrement(int increment)
        => throw new ArgumentOutOfRangeException(nameof(increment), increment, "A window increment is 1 to 2^31-1 (RFC 9113 §6.9).");
}
