using System.Buffers;
using FastGate.Core.Http2;
using static FastGate.Core.Tests.Http2.Http2TestHelpers;

namespace FastGate.Core.Tests.Http2;

/// <summary>Every frame the writer makes, against bytes worked out by hand from the layouts of RFC 9113 §4.1 and §6.</summary>
public class Http2FrameWriterTests
{
    [Fact]
    public void WriteHeader_AllFieldsAtTheirLargest_BigEndianWithoutReservedBit()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteHeader(o, 0xABCDEF, (Http2FrameType)0xFA, (Http2Flags)0xFF, -1));

        Assert.Equal("ABCDEFFAFF7FFFFFFF", ToHex(bytes));
    }

    [Fact]
    public void WriteHeader_SmallLength_ThreeLengthBytes()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteHeader(o, 0x10, Http2FrameType.Data, Http2Flags.EndStream, 0x0102_0304));

        Assert.Equal("000010000101020304", ToHex(bytes));
    }

    [Fact]
    public void WriteData_EndStream_FlagAndPayload()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteData(o, 1, "hello"u8, endStream: true));

        Assert.Equal("000005" + "00" + "01" + "00000001" + "68656C6C6F", ToHex(bytes));
    }

    [Fact]
    public void WriteData_NoEndStream_NoFlags()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteData(o, 3, "ab"u8, endStream: false));

        Assert.Equal("000002" + "00" + "00" + "00000003" + "6162", ToHex(bytes));
    }

    [Fact]
    public void WriteData_EmptyWithEndStream_HeaderOnly()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteData(o, 5, default, endStream: true));

        Assert.Equal("000000" + "00" + "01" + "00000005", ToHex(bytes));
    }

    [Fact]
    public void WriteHeaders_SmallBlock_OneFrameWithEndHeadersAndEndStream()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 1, Hex("828684"), endStream: true, 16_384));

        Assert.Equal("000003" + "01" + "05" + "00000001" + "828684", ToHex(bytes));
    }

    [Fact]
    public void WriteHeaders_NoEndStream_OnlyEndHeaders()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 7, Hex("88"), endStream: false, 16_384));

        Assert.Equal("000001" + "01" + "04" + "00000007" + "88", ToHex(bytes));
    }

    [Fact]
    public void WriteHeaders_EmptyBlock_OneEmptyHeadersFrame()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 3, default, endStream: true, 16_384));

        Assert.Equal("000000" + "01" + "05" + "00000003", ToHex(bytes));
    }

    [Fact]
    public void WriteHeaders_BlockExactlyMaxFrameSize_OneFrame()
    {
        byte[] block = Block(16_384);

        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 1, block, endStream: false, 16_384));

        Assert.Equal(9 + 16_384, bytes.Length);
        Assert.Equal("004000" + "01" + "04" + "00000001", ToHex(bytes.AsSpan(0, 9)));
        Assert.Equal(block, bytes[9..]);
    }

    [Fact]
    public void WriteHeaders_BlockOneOverMaxFrameSize_HeadersThenOneByteContinuation()
    {
        byte[] block = Block(16_385);

        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 1, block, endStream: true, 16_384));

        Assert.Equal(9 + 16_384 + 9 + 1, bytes.Length);
        // END_STREAM stays on HEADERS; END_HEADERS moves to the last CONTINUATION.
        Assert.Equal("004000" + "01" + "01" + "00000001", ToHex(bytes.AsSpan(0, 9)));
        Assert.Equal(block[..16_384], bytes[9..(9 + 16_384)]);
        Assert.Equal("000001" + "09" + "04" + "00000001", ToHex(bytes.AsSpan(9 + 16_384, 9)));
        Assert.Equal(block[16_384], bytes[^1]);
    }

    [Fact]
    public void WriteHeaders_BlockOfSeveralFrames_ContinuationsInOrderEndHeadersOnLast()
    {
        // 40,000 = 16,384 + 16,384 + 7,232 (0x1C40).
        byte[] block = Block(40_000);

        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 0x31, block, endStream: false, 16_384));

        Assert.Equal(3 * 9 + 40_000, bytes.Length);
        Assert.Equal("004000" + "01" + "00" + "00000031", ToHex(bytes.AsSpan(0, 9)));
        int second = 9 + 16_384;
        Assert.Equal("004000" + "09" + "00" + "00000031", ToHex(bytes.AsSpan(second, 9)));
        int third = second + 9 + 16_384;
        Assert.Equal("001C40" + "09" + "04" + "00000031", ToHex(bytes.AsSpan(third, 9)));
        byte[] joined = [.. bytes[9..second], .. bytes[(second + 9)..third], .. bytes[(third + 9)..]];
        Assert.Equal(block, joined);
    }

    [Fact]
    public void WriteHeaders_LargerMaxFrameSize_SplitsAtThatSize()
    {
        byte[] block = Block(20_001);

        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 1, block, endStream: false, 20_000));

        Assert.Equal("004E20" + "01" + "00" + "00000001", ToHex(bytes.AsSpan(0, 9)));
        Assert.Equal("000001" + "09" + "04" + "00000001", ToHex(bytes.AsSpan(9 + 20_000, 9)));
    }

    [Theory]
    [InlineData(16_383)]
    [InlineData(16_777_216)]
    [InlineData(0)]
    public void WriteHeaders_MaxFrameSizeOutOfRange_Throws(int maxFrameSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(o => Http2FrameWriter.WriteHeaders(o, 1, Hex("82"), false, maxFrameSize)));
    }

    [Fact]
    public void WritePriority_Exclusive_TopBitAndWeightByte()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePriority(o, 3, 1, exclusive: true, 15));

        Assert.Equal("000005" + "02" + "00" + "00000003" + "80000001" + "0F", ToHex(bytes));
    }

    [Fact]
    public void WritePriority_NotExclusive_NoTopBit()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePriority(o, 5, 0x7FFF_FFFF, exclusive: false, 255));

        Assert.Equal("000005" + "02" + "00" + "00000005" + "7FFFFFFF" + "FF", ToHex(bytes));
    }

    [Fact]
    public void WriteRstStream_Cancel_CodeBigEndian()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteRstStream(o, 5, Http2ErrorCode.Cancel));

        Assert.Equal("000004" + "03" + "00" + "00000005" + "00000008", ToHex(bytes));
    }

    [Fact]
    public void WriteSettings_SeveralParameters_SixBytesEachInOrder()
    {
        Http2Setting[] settings =
        [
            new(Http2SettingId.MaxConcurrentStreams, 100),
            new(Http2SettingId.InitialWindowSize, 0x10_0000),
            new(Http2SettingId.MaxFrameSize, 16_384),
            new(Http2SettingId.EnableConnectProtocol, 1),
        ];

        byte[] bytes = Write(o => Http2FrameWriter.WriteSettings(o, settings));

        Assert.Equal("000018" + "04" + "00" + "00000000"
            + "0003" + "00000064"
            + "0004" + "00100000"
            + "0005" + "00004000"
            + "0008" + "00000001", ToHex(bytes));
    }

    [Fact]
    public void WriteSettings_None_EmptySettingsFrame()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteSettings(o, []));

        Assert.Equal("000000" + "04" + "00" + "00000000", ToHex(bytes));
    }

    [Fact]
    public void WriteSettingsAck_EmptyWithAckFlag()
    {
        byte[] bytes = Write(Http2FrameWriter.WriteSettingsAck);

        Assert.Equal("000000" + "04" + "01" + "00000000", ToHex(bytes));
    }

    [Fact]
    public void WritePushPromise_SmallBlock_PromisedIdThenFragment()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePushPromise(o, 1, 2, Hex("8287"), 16_384));

        Assert.Equal("000006" + "05" + "04" + "00000001" + "00000002" + "8287", ToHex(bytes));
    }

    [Fact]
    public void WritePushPromise_BlockFillsFrameWithPromisedId_OneFrame()
    {
        byte[] block = Block(16_380);

        byte[] bytes = Write(o => Http2FrameWriter.WritePushPromise(o, 1, 2, block, 16_384));

        Assert.Equal(9 + 16_384, bytes.Length);
        Assert.Equal("004000" + "05" + "04" + "00000001" + "00000002", ToHex(bytes.AsSpan(0, 13)));
    }

    [Fact]
    public void WritePushPromise_BlockOneOver_Continuation()
    {
        byte[] block = Block(16_381);

        byte[] bytes = Write(o => Http2FrameWriter.WritePushPromise(o, 1, 2, block, 16_384));

        Assert.Equal(9 + 16_384 + 9 + 1, bytes.Length);
        Assert.Equal("004000" + "05" + "00" + "00000001", ToHex(bytes.AsSpan(0, 9)));
        Assert.Equal("000001" + "09" + "04" + "00000001", ToHex(bytes.AsSpan(9 + 16_384, 9)));
        Assert.Equal(block[^1], bytes[^1]);
    }

    [Fact]
    public void WritePing_Ack_FlagAndOpaqueBigEndian()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePing(o, 0x0102_0304_0506_0708, ack: true));

        Assert.Equal("000008" + "06" + "01" + "00000000" + "0102030405060708", ToHex(bytes));
    }

    [Fact]
    public void WritePing_NotAck_NoFlags()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePing(o, ulong.MaxValue, ack: false));

        Assert.Equal("000008" + "06" + "00" + "00000000" + "FFFFFFFFFFFFFFFF", ToHex(bytes));
    }

    [Fact]
    public void WriteGoAway_DebugData_LastStreamCodeAndData()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteGoAway(o, 7, Http2ErrorCode.EnhanceYourCalm, "calm"u8));

        Assert.Equal("00000C" + "07" + "00" + "00000000" + "00000007" + "0000000B" + "63616C6D", ToHex(bytes));
    }

    [Fact]
    public void WriteGoAway_NoDebugData_EightBytePayload()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteGoAway(o, 0x7FFF_FFFF, Http2ErrorCode.NoError, default));

        Assert.Equal("000008" + "07" + "00" + "00000000" + "7FFFFFFF" + "00000000", ToHex(bytes));
    }

    [Fact]
    public void WriteGoAway_DebugDataPastSmallestFrame_CutToFit()
    {
        byte[] debug = Block(20_000);

        byte[] bytes = Write(o => Http2FrameWriter.WriteGoAway(o, 1, Http2ErrorCode.ProtocolError, debug));

        Assert.Equal(9 + 16_384, bytes.Length);
        Assert.Equal("004000" + "07", ToHex(bytes.AsSpan(0, 4)));
        Assert.Equal(debug[..Http2FrameWriter.MaxGoAwayDebugData], bytes[17..]);
    }

    [Fact]
    public void WriteWindowUpdate_Connection_StreamZeroAndIncrement()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteWindowUpdate(o, 0, 0x7FFF_FFFF));

        Assert.Equal("000004" + "08" + "00" + "00000000" + "7FFFFFFF", ToHex(bytes));
    }

    [Fact]
    public void WriteWindowUpdate_Stream_IncrementBigEndian()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteWindowUpdate(o, 9, 0x0001_0000));

        Assert.Equal("000004" + "08" + "00" + "00000009" + "00010000", ToHex(bytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void WriteWindowUpdate_IncrementNotPositive_Throws(int increment)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(o => Http2FrameWriter.WriteWindowUpdate(o, 1, increment)));
    }

    [Fact]
    public void Write_EachFrame_OneGetSpanAndOneAdvance()
    {
        var output = new CountingBufferWriter();

        Http2FrameWriter.WriteData(output, 1, Block(100), endStream: false);
        Http2FrameWriter.WriteWindowUpdate(output, 0, 1000);
        Http2FrameWriter.WriteSettings(output, [new(Http2SettingId.MaxFrameSize, 16_384)]);
        Http2FrameWriter.WritePing(output, 1, ack: true);
        Http2FrameWriter.WriteRstStream(output, 1, Http2ErrorCode.Cancel);
        Http2FrameWriter.WriteGoAway(output, 1, Http2ErrorCode.NoError, "x"u8);
        Http2FrameWriter.WritePriority(output, 3, 1, false, 0);
        Http2FrameWriter.WriteHeaders(output, 1, Block(40_000), endStream: true, 16_384);

        Assert.Equal(7 + 3, output.GetSpanCalls);
        Assert.Equal(7 + 3, output.AdvanceCalls);
    }

    [Fact]
    public void Write_SeveralFrames_AppendedBackToBack()
    {
        byte[] bytes = Write(o =>
        {
            Http2FrameWriter.WriteSettingsAck(o);
            Http2FrameWriter.WriteData(o, 1, "x"u8, endStream: true);
        });

        Assert.Equal("000000040100000000" + "000001000100000001" + "78", ToHex(bytes));
    }

    private static byte[] Block(int length)
    {
        var block = new byte[length];
        for (int i = 0; i < length; i++)
        {
            block[i] = (byte)(i * 7 + (i >> 8));
        }

        return block;
    }
}
