using System.Buffers;

namespace FastGate.Core.Http2;

/// <summary>
/// Reads frames and their payloads (RFC 9113 §4, §6) from the bytes received, without copying
/// and without keeping state: the connection calls it again with more bytes. Payload parsers take
/// the payload as one span (the connection copies a payload that spans segments) and check what
/// the frame itself can tell: sizes, padding, stream id 0 or not, returning the error code the
/// RFC names (a connection error unless the RFC makes it a stream error).
/// </summary>
public static class Http2FrameReader
{
    /// <summary>The client connection preface (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>
    /// True when <paramref name="input"/> starts with the whole client preface; false with
    /// <paramref name="mismatch"/> set when it cannot be one, false without it when more bytes are needed.
    /// </summary>
    public static bool TryReadPreface(in ReadOnlySequence<byte> input, out bool mismatch) => throw new NotImplementedException();

    /// <summary>Reads the frame at the start of <paramref name="input"/>.</summary>
    public static Http2ReadStatus TryRead(in ReadOnlySequence<byte> input, int maxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed)
        => throw new NotImplementedException();

    /// <summary>DATA: the data without padding. PROTOCOL_ERROR on stream 0 or on padding as long as the payload.</summary>
    public static Http2ErrorCode ParseData(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> data)
        => throw new NotImplementedException();

    /// <summary>
    /// HEADERS: the header block fragment without padding and priority fields. PROTOCOL_ERROR on
    /// stream 0, on padding too long, or on a priority that depends on its own stream (a stream error: <paramref name="streamError"/>).
    /// </summary>
    public static Http2ErrorCode ParseHeaders(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> fragment, out bool streamError)
        => throw new NotImplementedException();

    /// <summary>PRIORITY: FRAME_SIZE_ERROR (a stream error) unless 5 bytes; PROTOCOL_ERROR on stream 0 or self-dependency (a stream error).</summary>
    public static Http2ErrorCode ParsePriority(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out bool streamError)
        => throw new NotImplementedException();

    /// <summary>RST_STREAM: FRAME_SIZE_ERROR unless 4 bytes, PROTOCOL_ERROR on stream 0.</summary>
    public static Http2ErrorCode ParseRstStream(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out Http2ErrorCode code)
        => throw new NotImplementedException();

    /// <summary>
    /// SETTINGS: PROTOCOL_ERROR off stream 0; FRAME_SIZE_ERROR for a length not a multiple of 6, or
    /// an ACK with a payload. Values are checked by <see cref="Http2PeerSettings.Apply"/>.
    /// </summary>
    public static Http2ErrorCode ParseSettings(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
        => throw new NotImplementedException();

    /// <summary>The <paramref name="index"/>th parameter of a SETTINGS payload that <see cref="ParseSettings"/> accepted.</summary>
    public static Http2Setting Setting(ReadOnlySpan<byte> payload, int index) => throw new NotImplementedException();

    /// <summary>PING: FRAME_SIZE_ERROR unless 8 bytes, PROTOCOL_ERROR off stream 0.</summary>
    public static Http2ErrorCode ParsePing(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out ulong opaque)
        => throw new NotImplementedException();

    /// <summary>GOAWAY: FRAME_SIZE_ERROR under 8 bytes, PROTOCOL_ERROR off stream 0.</summary>
    public static Http2ErrorCode ParseGoAway(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out int lastStreamId, out Http2ErrorCode code, out ReadOnlySpan<byte> debugData)
        => throw new NotImplementedException();

    /// <summary>
    /// WINDOW_UPDATE: FRAME_SIZE_ERROR unless 4 bytes; an increment of 0 is PROTOCOL_ERROR (a
    /// stream error on a stream, <paramref name="streamError"/>; a connection error on stream 0).
    /// </summary>
    public static Http2ErrorCode ParseWindowUpdate(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out int increment, out bool streamError)
        => throw new NotImplementedException();

    /// <summary>CONTINUATION: PROTOCOL_ERROR on stream 0; the whole payload is a header block fragment.</summary>
    public static Http2ErrorCode ParseContinuation(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
        => throw new NotImplementedException();

    /// <summary>PUSH_PROMISE: the promised stream id and the fragment; a server never accepts one (the caller's PROTOCOL_ERROR).</summary>
    public static Http2ErrorCode ParsePushPromise(in Http2FrameHeader header, ReadOnlySpan<byte> payload, out int promisedStreamId, out ReadOnlySpan<byte> fragment)
        => throw new NotImplementedException();
}
