namespace FastGate.Core.Http2;

/// <summary>The 9-byte header every frame starts with (RFC 9113 §4.1); the reserved bit of the stream id is dropped.</summary>
public readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, Http2Flags Flags, int StreamId)
{
    public const int Size = 9;

    public bool Has(Http2Flags flag) => (Flags & flag) != 0;
}
