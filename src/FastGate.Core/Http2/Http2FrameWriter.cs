using System.Buffers;

namespace FastGate.Core.Http2;

/// <summary>Writes frames (RFC 9113 §6) into an output; the caller keeps to the peer's frame size and windows.</summary>
public static class Http2FrameWriter
{
    /// <summary>Writes a frame header for a payload the caller writes next.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, int length, Http2FrameType type, Http2Flags flags, int streamId) => throw new NotImplementedException();

    public static void WriteData(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> data, bool endStream) => throw new NotImplementedException();

    /// <summary>HEADERS and as many CONTINUATION frames as <paramref name="maxFrameSize"/> needs for <paramref name="block"/>.</summary>
    public static void WriteHeaders(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> block, bool endStream, int maxFrameSize) => throw new NotImplementedException();

    public static void WritePriority(IBufferWriter<byte> output, int streamId, int dependsOn, bool exclusive, byte weight) => throw new NotImplementedException();

    public static void WriteRstStream(IBufferWriter<byte> output, int streamId, Http2ErrorCode code) => throw new NotImplementedException();

    public static void WriteSettings(IBufferWriter<byte> output, ReadOnlySpan<Http2Setting> settings) => throw new NotImplementedException();

    public static void WriteSettingsAck(IBufferWriter<byte> output) => throw new NotImplementedException();

    public static void WritePushPromise(IBufferWriter<byte> output, int streamId, int promisedStreamId, ReadOnlySpan<byte> block, int maxFrameSize) => throw new NotImplementedException();

    public static void WritePing(IBufferWriter<byte> output, ulong opaque, bool ack) => throw new NotImplementedException();

    public static void WriteGoAway(IBufferWriter<byte> output, int lastStreamId, Http2ErrorCode code, ReadOnlySpan<byte> debugData) => throw new NotImplementedException();

    public static void WriteWindowUpdate(IBufferWriter<byte> output, int streamId, int increment) => throw new NotImplementedException();
}
