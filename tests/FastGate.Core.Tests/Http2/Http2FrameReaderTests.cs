using System.Buffers;
using FastGate.Core.Http2;
using static FastGate.Core.Tests.Http2.Http2TestHelpers;

namespace FastGate.Core.Tests.Http2;

/// <summary>Finding frames in received bytes (RFC 9113 §4.1, §4.2) and the client preface (§3.4), however the bytes are cut.</summary>
public class Http2FrameReaderTests
{
    private const int MaxFrameSize = 16_384;

    public static TheoryData<string, byte[]> Frames => new()
    {
        { "DATA", Frame(0x0, 0x1, 1, "hello"u8) },
        { "DATA empty", Frame(0x0, 0x0, 3, default) },
        { "HEADERS padded priority", Frame(0x1, 0x2D, 5, Hex("02 80000003 10 8286 0000")) },
        { "PRIORITY", Frame(0x2, 0x0, 7, Hex("00000001 0F")) },
        { "RST_STREAM", Frame(0x3, 0x0, 9, Hex("00000008")) },
        { "SETTINGS", Frame(0x4, 0x0, 0, Hex("0003 00000064 0004 00100000")) },
        { "SETTINGS ACK", Frame(0x4, 0x1, 0, default) },
        { "PUSH_PROMISE", Frame(0x5, 0x4, 1, Hex("00000002 82")) },
        { "PING", Frame(0x6, 0x0, 0, Hex("0102030405060708")) },
        { "GOAWAY", Frame(0x7, 0x0, 0, Hex("00000007 0000000B 63616C6D")) },
        { "WINDOW_UPDATE", Frame(0x8, 0x0, 0, Hex("7FFFFFFF")) },
        { "CONTINUATION", Frame(0x9, 0x4, 1, Hex("8486")) },
        { "unknown type", Frame(0xFA, 0xFF, 11, Hex("DEADBEEF")) },
        { "at the frame size", Frame(0x0, 0x0, 1, new byte[MaxFrameSize]) },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void TryRead_WholeFrameOneSegment_HeaderPayloadAndConsumedAtEnd(string name, byte[] frame)
    {
        _ = name;
        var input = OneSegment(frame);

        Http2ReadStatus status = Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed);

        Assert.Equal(Http2ReadStatus.Frame, status);
        AssertFrame(frame, header, payload);
        Assert.Equal(input.End, consumed);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void TryRead_EveryPrefix_NeedMoreDataUntilTheLastByte(string name, byte[] frame)
    {
        _ = name;
        for (int length = 0; length < frame.Length; length++)
        {
            byte[] prefix = frame[..length];
            foreach (ReadOnlySequence<byte> input in new[] { OneSegment(prefix), BytePerSegment(prefix) })
            {
                Http2ReadStatus status = Http2FrameReader.TryRead(input, MaxFrameSize, out _, out _, out SequencePosition consumed);

                Assert.Equal(Http2ReadStatus.NeedMoreData, status);
                Assert.Equal(0, input.Slice(input.Start, consumed).Length);
            }

            if (frame.Length > 64 && length > 64)
            {
                // The frame at the frame size: the short prefixes cover the header, a few long ones the payload.
                length = Math.Max(length, frame.Length - 3);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void TryRead_SplitInTwoAtEveryByte_SameFrame(string name, byte[] frame)
    {
        _ = name;
        int step = frame.Length > 64 ? 997 : 1;
        for (int cut = 0; cut <= frame.Length; cut += step)
        {
            var input = Segments(frame, cut);

            Http2ReadStatus status = Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed);

            Assert.Equal(Http2ReadStatus.Frame, status);
            AssertFrame(frame, header, payload);
            Assert.Equal(frame.Length, input.Slice(input.Start, consumed).Length);
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void TryRead_OneBytePerSegment_SameFrame(string name, byte[] frame)
    {
        _ = name;
        if (frame.Length > 64)
        {
            return;
        }

        var input = BytePerSegment(frame);

        Http2ReadStatus status = Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed);

        Assert.Equal(Http2ReadStatus.Frame, status);
        AssertFrame(frame, header, payload);
        Assert.Equal(input.End, consumed);
    }

    [Fact]
    public void TryRead_FramesBackToBack_ConsumedIsStartOfNext()
    {
        byte[] first = Frame(0x0, 0x0, 1, "abc"u8);
        byte[] second = Frame(0x6, 0x1, 0, Hex("0000000000000001"));
        byte[] third = Frame(0x8, 0x0, 1, Hex("00000100"));
        byte[] stream = [.. first, .. second, .. third];

        for (int cut = 0; cut <= stream.Length; cut++)
        {
            ReadOnlySequence<byte> input = Segments(stream, cut);
            var types = new List<Http2FrameType>();
            while (Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out _, out SequencePosition consumed) == Http2ReadStatus.Frame)
            {
                types.Add(header.Type);
                input = input.Slice(consumed);
            }

            Assert.Equal([Http2FrameType.Data, Http2FrameType.Ping, Http2FrameType.WindowUpdate], types);
            Assert.Equal(0, input.Length);
        }
    }

    [Fact]
    public void TryRead_NextFrameIncomplete_ReadsFirstOnly()
    {
        byte[] first = Frame(0x0, 0x1, 1, "abc"u8);
        byte[] stream = [.. first, .. Frame(0x0, 0x0, 3, "xyz"u8)[..10]];
        var input = OneSegment(stream);

        Assert.Equal(Http2ReadStatus.Frame, Http2FrameReader.TryRead(input, MaxFrameSize, out _, out _, out SequencePosition consumed));
        ReadOnlySequence<byte> rest = input.Slice(consumed);

        Assert.Equal(10, rest.Length);
        Assert.Equal(Http2ReadStatus.NeedMoreData, Http2FrameReader.TryRead(rest, MaxFrameSize, out _, out _, out _));
    }

    [Fact]
    public void TryRead_LengthOverMaxFrameSize_FrameTooLargeOnTheHeaderAlone()
    {
        // Only the 9 header bytes: the length alone decides, before any payload arrives (RFC 9113 §4.2).
        byte[] header = Frame(0x0, 0x0, 3, default, declaredLength: MaxFrameSize + 1);
        foreach (ReadOnlySequence<byte> input in new[] { OneSegment(header), BytePerSegment(header) })
        {
            Http2ReadStatus status = Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader read, out _, out SequencePosition consumed);

            Assert.Equal(Http2ReadStatus.FrameTooLarge, status);
            Assert.Equal(new Http2FrameHeader(MaxFrameSize + 1, Http2FrameType.Data, Http2Flags.None, 3), read);
            Assert.Equal(input.Start, consumed);
        }
    }

    [Fact]
    public void TryRead_LargestLength_FrameTooLargeUnderAnyAllowedLimit()
    {
        byte[] header = Hex("FFFFFF 00 00 00000001");

        Assert.Equal(Http2ReadStatus.FrameTooLarge, Http2FrameReader.TryRead(OneSegment(header), Http2PeerSettings.MaxFrameSizeLimit - 1, out Http2FrameHeader read, out _, out _));
        Assert.Equal(0xFF_FFFF, read.Length);
    }

    [Fact]
    public void TryRead_LengthAtLargerMaxFrameSize_Frame()
    {
        byte[] frame = Frame(0x0, 0x0, 1, new byte[20_000]);

        Assert.Equal(Http2ReadStatus.FrameTooLarge, Http2FrameReader.TryRead(OneSegment(frame), 19_999, out _, out _, out _));
        Assert.Equal(Http2ReadStatus.Frame, Http2FrameReader.TryRead(OneSegment(frame), 20_000, out _, out _, out _));
    }

    [Fact]
    public void TryRead_ReservedBitSet_StreamIdWithoutIt()
    {
        byte[] frame = Hex("000000 00 00 80000001");

        Http2FrameReader.TryRead(OneSegment(frame), MaxFrameSize, out Http2FrameHeader header, out _, out _);

        Assert.Equal(1, header.StreamId);
    }

    [Fact]
    public void TryRead_ReservedBitOnStreamZero_StreamZero()
    {
        byte[] frame = Hex("000000 04 01 80000000");

        Http2FrameReader.TryRead(OneSegment(frame), MaxFrameSize, out Http2FrameHeader header, out _, out _);

        Assert.Equal(0, header.StreamId);
    }

    [Fact]
    public void TryRead_UnknownType_ReturnedWithPayload()
    {
        byte[] frame = Frame(0x20, 0xAB, 0x7FFF_FFFF, "ext"u8);

        Http2ReadStatus status = Http2FrameReader.TryRead(OneSegment(frame), MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out _);

        Assert.Equal(Http2ReadStatus.Frame, status);
        Assert.Equal((Http2FrameType)0x20, header.Type);
        Assert.Equal((Http2Flags)0xAB, header.Flags);
        Assert.Equal(0x7FFF_FFFF, header.StreamId);
        Assert.Equal("ext"u8.ToArray(), payload.ToArray());
    }

    [Fact]
    public void TryRead_PayloadIsASliceOfTheInput_NotACopy()
    {
        byte[] frame = Frame(0x0, 0x0, 1, "abcd"u8);

        Http2FrameReader.TryRead(OneSegment(frame), MaxFrameSize, out _, out ReadOnlySequence<byte> payload, out _);
        frame[9] = (byte)'z';

        Assert.Equal((byte)'z', payload.FirstSpan[0]);
    }

    [Fact]
    public void TryRead_EmptySegmentsAround_SameFrame()
    {
        byte[] frame = Frame(0x6, 0x0, 0, Hex("0102030405060708"));
        var input = Chain([[], frame[..4], [], frame[4..12], [], frame[12..], []]);

        Http2ReadStatus status = Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out _);

        Assert.Equal(Http2ReadStatus.Frame, status);
        AssertFrame(frame, header, payload);
    }

    [Fact]
    public void Has_FlagSet_True()
    {
        var header = new Http2FrameHeader(0, Http2FrameType.Headers, Http2Flags.EndHeaders | Http2Flags.Padded, 1);

        Assert.True(header.Has(Http2Flags.EndHeaders));
        Assert.True(header.Has(Http2Flags.Padded));
        Assert.False(header.Has(Http2Flags.EndStream));
        Assert.False(header.Has(Http2Flags.Priority));
    }

    [Fact]
    public void TryReadPreface_WholePreface_True()
    {
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

        Assert.Equal(24, Http2FrameReader.ClientPreface.Length);
        Assert.True(Http2FrameReader.TryReadPreface(OneSegment(preface), out bool mismatch));
        Assert.False(mismatch);
    }

    [Fact]
    public void TryReadPreface_PrefaceThenSettings_True()
    {
        byte[] input = [.. Http2FrameReader.ClientPreface, .. Frame(0x4, 0x0, 0, default)];

        Assert.True(Http2FrameReader.TryReadPreface(OneSegment(input), out bool mismatch));
        Assert.False(mismatch);
        Assert.True(Http2FrameReader.TryReadPreface(BytePerSegment(input), out mismatch));
        Assert.False(mismatch);
    }

    [Fact]
    public void TryReadPreface_EveryPrefix_NeedsMoreWithoutMismatch()
    {
        byte[] preface = Http2FrameReader.ClientPreface.ToArray();
        for (int length = 0; length < preface.Length; length++)
        {
            byte[] prefix = preface[..length];
            foreach (ReadOnlySequence<byte> input in new[] { OneSegment(prefix), BytePerSegment(prefix) })
            {
                Assert.False(Http2FrameReader.TryReadPreface(input, out bool mismatch));
                Assert.False(mismatch);
            }
        }
    }

    [Fact]
    public void TryReadPreface_SplitInTwoAtEveryByte_True()
    {
        byte[] preface = Http2FrameReader.ClientPreface.ToArray();
        for (int cut = 0; cut <= preface.Length; cut++)
        {
            Assert.True(Http2FrameReader.TryReadPreface(Segments(preface, cut), out bool mismatch));
            Assert.False(mismatch);
        }

        Assert.True(Http2FrameReader.TryReadPreface(BytePerSegment(preface), out bool byByte));
        Assert.False(byByte);
    }

    [Fact]
    public void TryReadPreface_WrongByteAtEachPosition_MismatchAsSoonAsThatByteArrives()
    {
        byte[] preface = Http2FrameReader.ClientPreface.ToArray();
        for (int position = 0; position < preface.Length; position++)
        {
            byte[] wrong = (byte[])preface.Clone();
            wrong[position] ^= 0x20;
            for (int length = position + 1; length <= wrong.Length; length++)
            {
                byte[] prefix = wrong[..length];
                foreach (ReadOnlySequence<byte> input in new[] { OneSegment(prefix), BytePerSegment(prefix), Segments(prefix, position) })
                {
                    Assert.False(Http2FrameReader.TryReadPreface(input, out bool mismatch));
                    Assert.True(mismatch, $"byte {position} wrong, {length} bytes");
                }
            }

            Assert.False(Http2FrameReader.TryReadPreface(OneSegment(wrong[..position]), out bool before));
            Assert.False(before);
        }
    }

    [Fact]
    public void TryReadPreface_Http11Request_MismatchOnFirstByte()
    {
        Assert.False(Http2FrameReader.TryReadPreface(OneSegment("GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray()), out bool mismatch));
        Assert.True(mismatch);
        Assert.False(Http2FrameReader.TryReadPreface(OneSegment("G"u8.ToArray()), out mismatch));
        Assert.True(mismatch);
    }

    [Fact]
    public void TryReadPreface_Http11PriMethod_MismatchWhereItDiffers()
    {
        // "PRI * HTTP/1.1" shares its first 11 bytes with the preface; the 12th ('1' for '2') decides.
        byte[] input = "PRI * HTTP/1.1\r\n"u8.ToArray();

        Assert.False(Http2FrameReader.TryReadPreface(OneSegment(input[..11]), out bool mismatch));
        Assert.False(mismatch);
        Assert.False(Http2FrameReader.TryReadPreface(OneSegment(input[..12]), out mismatch));
        Assert.True(mismatch);
    }

    private static void AssertFrame(byte[] frame, Http2FrameHeader header, ReadOnlySequence<byte> payload)
    {
        int length = (frame[0] << 16) | (frame[1] << 8) | frame[2];
        int streamId = ((frame[5] & 0x7F) << 24) | (frame[6] << 16) | (frame[7] << 8) | frame[8];
        Assert.Equal(new Http2FrameHeader(length, (Http2FrameType)frame[3], (Http2Flags)frame[4], streamId), header);
        Assert.Equal(frame[9..], payload.ToArray());
    }
}
