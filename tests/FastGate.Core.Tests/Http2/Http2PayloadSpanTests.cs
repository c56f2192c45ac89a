using System.Buffers;
using FastGate.Core.Http2;

namespace FastGate.Core.Tests.Http2;

/// <summary>The payload as one span: in place when it lies in one segment, copied when split.</summary>
public class Http2PayloadSpanTests
{
    [Fact]
    public void PayloadSpan_OneSegment_InPlaceScratchUntouched()
    {
        byte[] frame = Http2TestHelpers.Frame(0x0, 0x0, 1, "abcdef"u8);
        Http2FrameReader.TryRead(new ReadOnlySequence<byte>(frame), 16_384, out _, out var payload, out _);
        byte[] scratch = new byte[16];

        ReadOnlySpan<byte> span = Http2FrameReader.PayloadSpan(payload, scratch);

        Assert.Equal("abcdef"u8.ToArray(), span.ToArray());
        Assert.All(scratch, b => Assert.Equal(0, b));
        frame[9] = (byte)'z';
        Assert.Equal((byte)'z', span[0]);
    }

    [Fact]
    public void PayloadSpan_Split_CopiedIntoScratch()
    {
        byte[] frame = Http2TestHelpers.Frame(0x0, 0x0, 1, "abcdef"u8);
        Http2FrameReader.TryRead(Http2TestHelpers.Segments(frame, 12), 16_384, out _, out var payload, out _);
        byte[] scratch = new byte[16];

        ReadOnlySpan<byte> span = Http2FrameReader.PayloadSpan(payload, scratch);

        Assert.Equal("abcdef"u8.ToArray(), span.ToArray());
        Assert.Equal("abcdef"u8.ToArray(), scratch[..6]);
    }
}
