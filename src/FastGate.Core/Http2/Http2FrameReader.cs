using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastGate.Core.Http2;

/// <summary>
/// Reads frames and their payloads (RFC 9113 §4, §6) from the bytes received, without copying
/// and without keeping state: the connection calls it again with more bytes. Payload parsers take
/// the payload as one span (the connection copies a payload that spans segments) and check what
/// the frame itself can tell: sizes, padding, stream id 0 or not, returning the error code the
/// RFC names (a connection error unless the RFC makes it a stream error).
/// </summary>
/// <remarks>
/// <code>
/// +-----------------------------------------------+
/// |                 Length (24)                   |
/// +---------------+---------------+---------------+
/// |   Type (8)    |   Flags (8)   |
/// +-+-------------+---------------+-------------------------------+
/// |R|                 Stream Identifier (31)                      |
/// +=+=============================================================+
/// |                   Frame Payload (0...)                      ...
/// +---------------------------------------------------------------+
/// </code>
/// A payload that is too short for its mandatory fields is FRAME_SIZE_ERROR (RFC 9113 §4.2: "too small
/// to contain mandatory frame data"); padding longer than what is left for the data or the field block
/// is PROTOCOL_ERROR (§6.1, §6.2, §6.6). On an error the out values are empty, except for the HEADERS
/// self-dependency stream error, which still hands out the fragment: the field block must be decoded
/// anyway, or the HPACK tables of the two sides drift apart (RFC 9113 §4.3).
/// </remarks>
public static class Http2FrameReader
{
    private const int StreamIdMask = 0x7FFF_FFFF;
    private const int PrioritySize = 5;

    /// <summary>The client connection preface (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>
    /// True when <paramref name="input"/> starts with the whole client preface; false with
    /// <paramref name="mismatch"/> set when it cannot be one, false without it when more bytes are needed.
    /// </summary>
    /// <remarks>A mismatch is reported at the first byte that differs, so a client speaking HTTP/1.1 is recognised early.</remarks>
    public static bool TryReadPreface(in ReadOnlySequence<byte> input, out bool mismatch)
    {
        ReadOnlySpan<byte> preface = ClientPreface;
        if (input.IsSingleSegment)
        {
            ReadOnlySpan<byte> span = input.FirstSpan;
            int length = Math.Min(span.Length, preface.Length);
            mismatch = !span.Slice(0, length).SequenceEqual(preface.Slice(0, length));
            return !mismatch && length == preface.Length;
        }

        return TryReadPrefaceMultiSegment(input, out mismatch);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadPrefaceMultiSegment(in ReadOnlySequence<byte> input, out bool mismatch)
    {
        ReadOnlySpan<byte> preface = ClientPreface;
        int offset = 0;
        foreach (ReadOnlyMemory<byte> memory in input)
        {
            ReadOnlySpan<byte> span = memory.Span;
            int length = Math.Min(span.Length, preface.Length - offset);
            if (!span.Slice(0, length).SequenceEqual(preface.Slice(offset, length)))
            {
                mismatch = true;
                return false;
            }

            offset += length;
            if (offset == preface.Length)
            {
                break;
            }
        }

        mismatch = false;
        return offset == preface.Length;
    }

    /// <summary>Reads the frame at the start of <paramref name="input"/>.</summary>
    /// <remarks>
    /// <paramref name="payload"/> is a slice of <paramref name="input"/> (nothing is copied) and
    /// <paramref name="consumed"/> the position right after the frame. With
    /// <see cref="Http2ReadStatus.FrameTooLarge"/> the header is out (the caller may name the stream
    /// in its log) and nothing is consumed. The reserved bit of the stream id is dropped (§4.1:
    /// "MUST be ignored when receiving"). Unknown frame types are returned like any other: the caller
    /// ignores them (§4.1, §5.5).
    /// </remarks>
    public static Http2ReadStatus TryRead(in ReadOnlySequence<byte> input, int maxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed)
    {
        long available = input.Length;
        if (available < Http2FrameHeader.Size)
        {
            return NeedMoreData(input, out header, out payload, out consumed);
        }

        ReadOnlySpan<byte> first = input.FirstSpan;
        Http2FrameHeader read = first.Length >= Http2FrameHeader.Size ? ReadHeader(first) : ReadHeaderMultiSegment(input);
        if (read.Length > maxFrameSize)
        {
            header = read;
            payload = default;
            consumed = input.Start;
            return Http2ReadStatus.FrameTooLarge;
        }

        if (available - Http2FrameHeader.Size < read.Length)
        {
            return NeedMoreData(input, out header, out payload, out consumed);
        }

        header = read;
        payload = input.Slice(Http2FrameHeader.Size, read.Length);
        consumed = payload.End;
        return Http2ReadStatus.Frame;
    }

    /// <summary>
    /// The payload <see cref="TryRead"/> handed out as one span, for the Parse methods: the bytes in place when they
    /// lie in one segment, else copied into <paramref name="scratch"/> (at least the payload's length; a buffer of
    /// the SETTINGS_MAX_FRAME_SIZE this side announced always fits).
    /// </summary>
    public static ReadOnlySpan<byte> PayloadSpan(in ReadOnlySequence<byte> payload, Span<byte> scratch)
    {
        if (payload.IsSingleSegment)
        {
            return payload.FirstSpan;
        }

        int length = (int)payload.Length;
        payload.CopyTo(scratch);
        return scratch.Slice(0, length);
    }

    private static Http2ReadStatus NeedMoreData(in ReadOnlySequence<byte> input, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed)
    {
        header = default;
        payload = default;
        consumed = input.Start;
        return Http2ReadStatus.NeedMoreData;
    }

    private static Http2FrameHeader ReadHeader(ReadOnlySpan<byte> bytes)
    {
        int length = (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];
        int streamId = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(5)) & StreamIdMask;
        return new Http2FrameHeader(length, (Http2FrameType)bytes[3], (Http2Flags)bytes[4], streamId);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static Http2FrameHeader ReadHeaderMultiSegment(in ReadOnlySequence<byte> input)
    {
        Span<byte> bytes = stackalloc byte[Http2FrameHeader.Size];
        input.Slice(0, Http2FrameHeader.Size).CopyTo(bytes);
        return ReadHeader(bytes);
    }

    /// <summary>
    /// DATA: the data without padding. PROTOCOL_ERROR on stream 0 or on padding as long as the payload;
    /// FRAME_SIZE_ERROR for a PADDED frame with no room for the Pad Length byte.
    /// </summary>
    /// <remarks>
    /// <code>
    /// +---------------+
    /// |Pad Length? (8)|
    /// +---------------+-----------------------------------------------+
    /// |                            Data (*)                         ...
    /// +---------------------------------------------------------------+
    /// |                           Padding (*)                       ...
    /// +---------------------------------------------------------------+
    /// </code>
    /// Flow control counts the whole payload, padding included (§6.1): use the header's length.
    /// </remarks>
    public static Http2ErrorCode ParseData(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> data)
    {
        data = default;
        if (header.StreamId == 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        return Unpad(header, payload, 0, out data);
    }

    /// <summary>
    /// HEADERS: the header block fragment without padding and priority fields. PROTOCOL_ERROR on
    /// stream 0, on padding too long, or on a priority that depends on its own stream (a stream error: <paramref name="streamError"/>).
    /// FRAME_SIZE_ERROR when the payload cannot hold the Pad Length and priority fields its flags announce.
    /// </summary>
    /// <remarks>
    /// <code>
    /// +---------------+
    /// |Pad Length? (8)|
    /// +-+-------------+-----------------------------------------------+
    /// |E|                 Stream Dependency? (31)                     |
    /// +-+-------------+-----------------------------------------------+
    /// |  Weight? (8)  |
    /// +-+-------------+-----------------------------------------------+
    /// |                   Header Block Fragment (*)                 ...
    /// +---------------------------------------------------------------+
    /// |                           Padding (*)                       ...
    /// +---------------------------------------------------------------+
    /// </code>
    /// The priority fields are read only to find the self-dependency (§5.3.1); otherwise they are
    /// ignored (§5.3.2 deprecates the scheme). On that stream error <paramref name="fragment"/> is still
    /// set, so the caller can decode the block and keep its HPACK table in step.
    /// </remarks>
    public static Http2ErrorCode ParseHeaders(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> fragment, out bool streamError)
    {
        fragment = default;
        streamError = false;
        if (header.StreamId == 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        int fixedFields = header.Has(Http2Flags.Priority) ? PrioritySize : 0;
        Http2ErrorCode error = Unpad(header, payload, fixedFields, out ReadOnlySpan<byte> unpadded);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }

        fragment = unpadded.Slice(fixedFields);
        if (fixedFields != 0 && (BinaryPrimitives.ReadInt32BigEndian(unpadded) & StreamIdMask) == header.StreamId)
        {
            streamError = true;
            return Http2ErrorCode.ProtocolError;
        }

        return Http2ErrorCode.NoError;
    }

    /// <summary>
    /// PRIORITY: FRAME_SIZE_ERROR (a stream error) unless 5 bytes; PROTOCOL_ERROR on stream 0 (a connection
    /// error) or on self-dependency (a stream error).
    /// </summary>
    /// <remarks>
    /// <code>
    /// +-+-------------------------------------------------------------+
    /// |E|                  Stream Dependency (31)                     |
    /// +-+-------------+-----------------------------------------------+
    /// |   Weight (8)  |
    /// +-+-------------+
    /// </code>
    /// Accepted and otherwise ignored (§5.3.2). A PRIORITY frame may name an idle or closed stream.
    /// </remarks>
    public static Http2ErrorCode ParsePriority(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out bool streamError)
    {
        streamError = false;
        if (header.StreamId == 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        streamError = true;
        if (payload.Length != PrioritySize)
        {
            return Http2ErrorCode.FrameSizeError;
        }

        if ((BinaryPrimitives.ReadInt32BigEndian(payload) & StreamIdMask) == header.StreamId)
        {
            return Http2ErrorCode.ProtocolError;
        }

        streamError = false;
        return Http2ErrorCode.NoError;
    }

    /// <summary>RST_STREAM: FRAME_SIZE_ERROR unless 4 bytes, PROTOCOL_ERROR on stream 0.</summary>
    /// <remarks>An error code this side does not know is handed out as it came (§7: "MUST NOT trigger any special behavior").</remarks>
    public static Http2ErrorCode ParseRstStream(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out Http2ErrorCode code)
    {
        code = Http2ErrorCode.NoError;
        if (header.StreamId == 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        if (payload.Length != 4)
        {
            return Http2ErrorCode.FrameSizeError;
        }

        code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload);
        return Http2ErrorCode.NoError;
    }

    /// <summary>
    /// SETTINGS: PROTOCOL_ERROR off stream 0; FRAME_SIZE_ERROR for a length not a multiple of 6, or
    /// an ACK with a payload. Values are checked by <see cref="Http2PeerSettings.Apply"/>.
    /// </summary>
    /// <remarks>
    /// <code>
    /// +-------------------------------+
    /// |       Identifier (16)         |
    /// +-------------------------------+-------------------------------+
    /// |                        Value (32)                             |
    /// +---------------------------------------------------------------+
    /// </code>
    /// The parameters are <c>payload.Length / 6</c>, read with <see cref="Setting"/>, in order: a later
    /// value of the same parameter wins (§6.5.3).
    /// </remarks>
    public static Http2ErrorCode ParseSettings(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.StreamId != 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        if (header.Has(Http2Flags.Ack) ? payload.Length != 0 : payload.Length % 6 != 0)
        {
            return Http2ErrorCode.FrameSizeError;
        }

        return Http2ErrorCode.NoError;
    }

    /// <summary>The <paramref name="index"/>th parameter of a SETTINGS payload that <see cref="ParseSettings"/> accepted.</summary>
    public static Http2Setting Setting(ReadOnlySpan<byte> payload, int index)
    {
        ReadOnlySpan<byte> entry = payload.Slice(index * 6, 6);
        return new Http2Setting((Http2SettingId)BinaryPrimitives.ReadUInt16BigEndian(entry), BinaryPrimitives.ReadUInt32BigEndian(entry.Slice(2)));
    }

    /// <summary>PING: FRAME_SIZE_ERROR unless 8 bytes, PROTOCOL_ERROR off stream 0.</summary>
    /// <remarks>The opaque data is read big-endian, as <see cref="Http2FrameWriter.WritePing"/> writes it, so an ACK echoes the same 8 bytes.</remarks>
    public static Http2ErrorCode ParsePing(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out ulong opaque)
    {
        opaque = 0;
        if (header.StreamId != 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        if (payload.Length != 8)
        {
            return Http2ErrorCode.FrameSizeError;
        }

        opaque = BinaryPrimitives.ReadUInt64BigEndian(payload);
        return Http2ErrorCode.NoError;
    }

    /// <summary>GOAWAY: FRAME_SIZE_ERROR under 8 bytes, PROTOCOL_ERROR off stream 0.</summary>
    /// <remarks>
    /// <code>
    /// +-+-------------------------------------------------------------+
    /// |R|                  Last-Stream-ID (31)                        |
    /// +-+-------------------------------------------------------------+
    /// |                      Error Code (32)                          |
    /// +---------------------------------------------------------------+
    /// |                  Additional Debug Data (*)                    |
    /// +---------------------------------------------------------------+
    /// </code>
    /// </remarks>
    public static Http2ErrorCode ParseGoAway(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out int lastStreamId, out Http2ErrorCode code, out ReadOnlySpan<byte> debugData)
    {
        lastStreamId = 0;
        code = Http2ErrorCode.NoError;
        debugData = default;
        if (header.StreamId != 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        if (payload.Length < 8)
        {
            return Http2ErrorCode.FrameSizeError;
        }

        lastStreamId = BinaryPrimitives.ReadInt32BigEndian(payload) & StreamIdMask;
        code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload.Slice(4));
        debugData = payload.Slice(8);
        return Http2ErrorCode.NoError;
    }

    /// <summary>
    /// WINDOW_UPDATE: FRAME_SIZE_ERROR unless 4 bytes (a connection error, §6.9); an increment of 0 is
    /// PROTOCOL_ERROR (a stream error on a stream, <paramref name="streamError"/>; a connection error on stream 0).
    /// </summary>
    /// <remarks>The reserved bit of the increment is dropped; the increment is 1 to 2^31-1 when accepted.</remarks>
    public static Http2ErrorCode ParseWindowUpdate(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out int increment, out bool streamError)
    {
        increment = 0;
        streamError = false;
        if (payload.Length != 4)
        {
            return Http2ErrorCode.FrameSizeError;
        }

        int value = BinaryPrimitives.ReadInt32BigEndian(payload) & StreamIdMask;
        if (value == 0)
        {
            streamError = header.StreamId != 0;
            return Http2ErrorCode.ProtocolError;
        }

        increment = value;
        return Http2ErrorCode.NoError;
    }

    /// <summary>CONTINUATION: PROTOCOL_ERROR on stream 0; the whole payload is a header block fragment.</summary>
    /// <remarks>That it follows a HEADERS or PUSH_PROMISE of the same stream without END_HEADERS is the connection's check (§6.10).</remarks>
    public static Http2ErrorCode ParseContinuation(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload)
        => header.StreamId == 0 ? Http2ErrorCode.ProtocolError : Http2ErrorCode.NoError;

    /// <summary>
    /// PUSH_PROMISE: the promised stream id and the fragment; a server never accepts one (the caller's PROTOCOL_ERROR).
    /// PROTOCOL_ERROR on stream 0 or padding too long; FRAME_SIZE_ERROR when the payload cannot hold the
    /// Pad Length and Promised Stream ID fields.
    /// </summary>
    /// <remarks>
    /// <code>
    /// +---------------+
    /// |Pad Length? (8)|
    /// +-+-------------+-----------------------------------------------+
    /// |R|                  Promised Stream ID (31)                    |
    /// +-+-----------------------------+-------------------------------+
    /// |                   Header Block Fragment (*)                 ...
    /// +---------------------------------------------------------------+
    /// |                           Padding (*)                       ...
    /// +---------------------------------------------------------------+
    /// </code>
    /// </remarks>
    public static Http2ErrorCode ParsePushPromise(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, out int promisedStreamId, out ReadOnlySpan<byte> fragment)
    {
        promisedStreamId = 0;
        fragment = default;
        if (header.StreamId == 0)
        {
            return Http2ErrorCode.ProtocolError;
        }

        Http2ErrorCode error = Unpad(header, payload, 4, out ReadOnlySpan<byte> unpadded);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }

        promisedStreamId = BinaryPrimitives.ReadInt32BigEndian(unpadded) & StreamIdMask;
        fragment = unpadded.Slice(4);
        return Http2ErrorCode.NoError;
    }

    /// <summary>
    /// Strips the Pad Length byte and the padding of a frame whose PADDED flag is set. <paramref name="fixedFields"/>
    /// bytes must follow the Pad Length (priority fields, the promised stream id) and may not be padding.
    /// </summary>
    private static Http2ErrorCode Unpad(scoped in Http2FrameHeader header, ReadOnlySpan<byte> payload, int fixedFields, out ReadOnlySpan<byte> unpadded)
    {
        unpadded = default;
        if (!header.Has(Http2Flags.Padded))
        {
            if (payload.Length < fixedFields)
            {
                return Http2ErrorCode.FrameSizeError;
            }

            unpadded = payload;
            return Http2ErrorCode.NoError;
        }

        if (payload.Length < 1 + fixedFields)
        {
            return Http2ErrorCode.FrameSizeError;
        }

        int padLength = payload[0];
        if (padLength > payload.Length - 1 - fixedFields)
        {
            return Http2ErrorCode.ProtocolError;
        }

        unpadded = payload.Slice(1, payload.Length - 1 - padLength);
        return Http2ErrorCode.NoError;
    }
}
