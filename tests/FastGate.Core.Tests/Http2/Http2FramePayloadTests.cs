using FastGate.Core.Http2;
using static FastGate.Core.Tests.Http2.Http2TestHelpers;

namespace FastGate.Core.Tests.Http2;

/// <summary>
/// The payload checks of RFC 9113 §6, one frame type at a time: each error the RFC names, with its code and
/// whether it ends the stream or the connection, and the edges of padding and priority fields.
/// </summary>
public class Http2FramePayloadTests
{
    // DATA (§6.1)

    [Fact]
    public void ParseData_StreamZero_ProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseData(H(Http2FrameType.Data, 0, 0, 2), "ab"u8, out _));
    }

    [Fact]
    public void ParseData_NotPadded_WholePayload()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseData(H(Http2FrameType.Data, Http2Flags.EndStream, 1, 2), "ab"u8, out ReadOnlySpan<byte> data));
        Assert.Equal("ab"u8.ToArray(), data.ToArray());
    }

    [Fact]
    public void ParseData_EmptyNotPadded_Empty()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseData(H(Http2FrameType.Data, 0, 1, 0), default, out ReadOnlySpan<byte> data));
        Assert.True(data.IsEmpty);
    }

    [Theory]
    [InlineData("00 4142", "4142")]
    [InlineData("02 4142 0000", "4142")]
    [InlineData("00", "")]
    [InlineData("03 000000", "")] // pad length = payload length - 1: all padding, no data
    [InlineData("01 41 00", "41")]
    public void ParseData_Padded_DataWithoutPadLengthAndPadding(string payload, string expected)
    {
        byte[] bytes = Hex(payload);

        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseData(H(Http2FrameType.Data, Http2Flags.Padded, 1, bytes.Length), bytes, out ReadOnlySpan<byte> data));
        Assert.Equal(expected, ToHex(data));
    }

    [Theory]
    [InlineData("04 000000")] // pad length = payload length
    [InlineData("01")]
    [InlineData("FF 00")]
    public void ParseData_PaddingAsLongAsPayload_ProtocolError(string payload)
    {
        byte[] bytes = Hex(payload);

        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseData(H(Http2FrameType.Data, Http2Flags.Padded, 1, bytes.Length), bytes, out _));
    }

    [Fact]
    public void ParseData_PaddedWithNoPayload_FrameSizeError()
    {
        // No room for the Pad Length field: "too small to contain mandatory frame data" (§4.2).
        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParseData(H(Http2FrameType.Data, Http2Flags.Padded, 1, 0), default, out _));
    }

    // HEADERS (§6.2)

    [Fact]
    public void ParseHeaders_StreamZero_ConnectionProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseHeaders(H(Http2FrameType.Headers, Http2Flags.EndHeaders, 0, 1), Hex("82"), out _, out bool streamError));
        Assert.False(streamError);
    }

    [Fact]
    public void ParseHeaders_Plain_WholePayloadIsFragment()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseHeaders(H(Http2FrameType.Headers, Http2Flags.EndHeaders, 1, 3), Hex("828684"), out ReadOnlySpan<byte> fragment, out bool streamError));
        Assert.Equal("828684", ToHex(fragment));
        Assert.False(streamError);
    }

    [Fact]
    public void ParseHeaders_Empty_EmptyFragment()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseHeaders(H(Http2FrameType.Headers, Http2Flags.EndHeaders, 1, 0), default, out ReadOnlySpan<byte> fragment, out _));
        Assert.True(fragment.IsEmpty);
    }

    [Theory]
    [InlineData(Http2Flags.Padded, "02 8286 0000", "8286")]
    [InlineData(Http2Flags.Padded, "04 8286 0000", "")] // all padding: pad length = payload length - 1
    [InlineData(Http2Flags.Priority, "80000003 10 8286", "8286")]
    [InlineData(Http2Flags.Priority, "00000000 FF", "")]
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "02 80000003 10 8286 0000", "8286")]
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "02 00000003 10 0000", "")] // padding fills all after the priority
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "00 00000003 10", "")]
    public void ParseHeaders_PaddingAndPriority_FragmentAlone(Http2Flags flags, string payload, string expected)
    {
        byte[] bytes = Hex(payload);

        Http2ErrorCode error = Http2FrameReader.ParseHeaders(H(Http2FrameType.Headers, flags | Http2Flags.EndHeaders, 5, bytes.Length), bytes, out ReadOnlySpan<byte> fragment, out bool streamError);

        Assert.Equal(Http2ErrorCode.NoError, error);
        Assert.Equal(expected, ToHex(fragment));
        Assert.False(streamError);
    }

    [Theory]
    [InlineData(Http2Flags.Padded, "05 8286 0000")] // pad length = payload length
    [InlineData(Http2Flags.Padded, "01")]
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "03 00000003 10 0000")] // padding reaches into the priority fields
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "01 00000003 10")]
    public void ParseHeaders_PaddingLongerThanRoomLeft_ConnectionProtocolError(Http2Flags flags, string payload)
    {
        byte[] bytes = Hex(payload);

        Http2ErrorCode error = Http2FrameReader.ParseHeaders(H(Http2FrameType.Headers, flags, 5, bytes.Length), bytes, out _, out bool streamError);

        Assert.Equal(Http2ErrorCode.ProtocolError, error);
        Assert.False(streamError);
    }

    [Theory]
    [InlineData(Http2Flags.Padded, "")]
    [InlineData(Http2Flags.Priority, "")]
    [InlineData(Http2Flags.Priority, "00000003")]
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "00 00000003")]
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "00")]
    public void ParseHeaders_NoRoomForAnnouncedFields_ConnectionFrameSizeError(Http2Flags flags, string payload)
    {
        byte[] bytes = Hex(payload);

        Http2ErrorCode error = Http2FrameReader.ParseHeaders(H(Http2FrameType.Headers, flags, 5, bytes.Length), bytes, out _, out bool streamError);

        Assert.Equal(Http2ErrorCode.FrameSizeError, error);
        Assert.False(streamError);
    }

    [Theory]
    [InlineData(Http2Flags.Priority, "00000005 10 8286")]
    [InlineData(Http2Flags.Priority, "80000005 10 8286")] // exclusive bit does not hide it
    [InlineData(Http2Flags.Padded | Http2Flags.Priority, "01 00000005 10 8286 00")]
    public void ParseHeaders_DependsOnItself_StreamProtocolErrorFragmentStillOut(Http2Flags flags, string payload)
    {
        byte[] bytes = Hex(payload);

        Http2ErrorCode error = Http2FrameReader.ParseHeaders(H(Http2FrameType.Headers, flags | Http2Flags.EndHeaders, 5, bytes.Length), bytes, out ReadOnlySpan<byte> fragment, out bool streamError);

        Assert.Equal(Http2ErrorCode.ProtocolError, error);
        Assert.True(streamError);
        // Decoded anyway, so the HPACK table stays in step with the client's (RFC 9113 §4.3).
        Assert.Equal("8286", ToHex(fragment));
    }

    // PRIORITY (§6.3)

    [Fact]
    public void ParsePriority_FiveBytes_NoError()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParsePriority(H(Http2FrameType.Priority, 0, 3, 5), Hex("80000001 FF"), out bool streamError));
        Assert.False(streamError);
    }

    [Fact]
    public void ParsePriority_StreamZero_ConnectionProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParsePriority(H(Http2FrameType.Priority, 0, 0, 5), Hex("00000001 10"), out bool streamError));
        Assert.False(streamError);
    }

    [Fact]
    public void ParsePriority_StreamZeroAndWrongLength_ConnectionProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParsePriority(H(Http2FrameType.Priority, 0, 0, 4), Hex("00000001"), out bool streamError));
        Assert.False(streamError);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00000001")]
    [InlineData("00000001 10 00")]
    public void ParsePriority_NotFiveBytes_StreamFrameSizeError(string payload)
    {
        byte[] bytes = Hex(payload);

        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParsePriority(H(Http2FrameType.Priority, 0, 3, bytes.Length), bytes, out bool streamError));
        Assert.True(streamError);
    }

    [Theory]
    [InlineData("00000003 10")]
    [InlineData("80000003 10")]
    public void ParsePriority_DependsOnItself_StreamProtocolError(string payload)
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParsePriority(H(Http2FrameType.Priority, 0, 3, 5), Hex(payload), out bool streamError));
        Assert.True(streamError);
    }

    // RST_STREAM (§6.4)

    [Fact]
    public void ParseRstStream_FourBytes_Code()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseRstStream(H(Http2FrameType.RstStream, 0, 1, 4), Hex("00000008"), out Http2ErrorCode code));
        Assert.Equal(Http2ErrorCode.Cancel, code);
    }

    [Fact]
    public void ParseRstStream_UnknownCode_HandedOutAsIs()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseRstStream(H(Http2FrameType.RstStream, 0, 1, 4), Hex("DEADBEEF"), out Http2ErrorCode code));
        Assert.Equal((Http2ErrorCode)0xDEADBEEF, code);
    }

    [Fact]
    public void ParseRstStream_StreamZero_ProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseRstStream(H(Http2FrameType.RstStream, 0, 0, 4), Hex("00000008"), out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("000008")]
    [InlineData("0000000800")]
    public void ParseRstStream_NotFourBytes_FrameSizeError(string payload)
    {
        byte[] bytes = Hex(payload);

        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParseRstStream(H(Http2FrameType.RstStream, 0, 1, bytes.Length), bytes, out _));
    }

    // SETTINGS (§6.5)

    [Fact]
    public void ParseSettings_SeveralParameters_ReadInOrder()
    {
        byte[] bytes = Hex("0001 00001000 0003 00000064 00FF 12345678 0003 00000001");

        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseSettings(H(Http2FrameType.Settings, 0, 0, bytes.Length), bytes));
        Assert.Equal(new Http2Setting(Http2SettingId.HeaderTableSize, 4096), Http2FrameReader.Setting(bytes, 0));
        Assert.Equal(new Http2Setting(Http2SettingId.MaxConcurrentStreams, 100), Http2FrameReader.Setting(bytes, 1));
        Assert.Equal(new Http2Setting((Http2SettingId)0xFF, 0x1234_5678), Http2FrameReader.Setting(bytes, 2));
        Assert.Equal(new Http2Setting(Http2SettingId.MaxConcurrentStreams, 1), Http2FrameReader.Setting(bytes, 3));
    }

    [Fact]
    public void ParseSettings_Empty_NoError()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseSettings(H(Http2FrameType.Settings, 0, 0, 0), default));
    }

    [Fact]
    public void ParseSettings_EmptyAck_NoError()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseSettings(H(Http2FrameType.Settings, Http2Flags.Ack, 0, 0), default));
    }

    [Fact]
    public void ParseSettings_OffStreamZero_ProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseSettings(H(Http2FrameType.Settings, 0, 1, 0), default));
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseSettings(H(Http2FrameType.Settings, Http2Flags.Ack, 3, 0), default));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(13)]
    public void ParseSettings_LengthNotMultipleOfSix_FrameSizeError(int length)
    {
        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParseSettings(H(Http2FrameType.Settings, 0, 0, length), new byte[length]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void ParseSettings_AckWithPayload_FrameSizeError(int length)
    {
        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParseSettings(H(Http2FrameType.Settings, Http2Flags.Ack, 0, length), new byte[length]));
    }

    // PUSH_PROMISE (§6.6)

    [Theory]
    [InlineData(Http2Flags.None, "00000002 82", 2, "82")]
    [InlineData(Http2Flags.None, "80000004", 4, "")] // reserved bit dropped
    [InlineData(Http2Flags.Padded, "01 00000002 8287 00", 2, "8287")]
    [InlineData(Http2Flags.Padded, "02 00000002 0000", 2, "")]
    public void ParsePushPromise_Valid_PromisedIdAndFragment(Http2Flags flags, string payload, int promised, string expected)
    {
        byte[] bytes = Hex(payload);

        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParsePushPromise(H(Http2FrameType.PushPromise, flags | Http2Flags.EndHeaders, 1, bytes.Length), bytes, out int promisedStreamId, out ReadOnlySpan<byte> fragment));
        Assert.Equal(promised, promisedStreamId);
        Assert.Equal(expected, ToHex(fragment));
    }

    [Fact]
    public void ParsePushPromise_StreamZero_ProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParsePushPromise(H(Http2FrameType.PushPromise, 0, 0, 4), Hex("00000002"), out _, out _));
    }

    [Theory]
    [InlineData(Http2Flags.None, "000002")]
    [InlineData(Http2Flags.Padded, "00 000002")]
    [InlineData(Http2Flags.Padded, "")]
    public void ParsePushPromise_NoRoomForPromisedId_FrameSizeError(Http2Flags flags, string payload)
    {
        byte[] bytes = Hex(payload);

        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParsePushPromise(H(Http2FrameType.PushPromise, flags, 1, bytes.Length), bytes, out _, out _));
    }

    [Fact]
    public void ParsePushPromise_PaddingIntoPromisedId_ProtocolError()
    {
        byte[] bytes = Hex("01 00000002");

        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParsePushPromise(H(Http2FrameType.PushPromise, Http2Flags.Padded, 1, bytes.Length), bytes, out _, out _));
    }

    // PING (§6.7)

    [Theory]
    [InlineData(Http2Flags.None)]
    [InlineData(Http2Flags.Ack)]
    public void ParsePing_EightBytes_OpaqueBigEndian(Http2Flags flags)
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParsePing(H(Http2FrameType.Ping, flags, 0, 8), Hex("0102030405060708"), out ulong opaque));
        Assert.Equal(0x0102_0304_0506_0708UL, opaque);
    }

    [Fact]
    public void ParsePing_OffStreamZero_ProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParsePing(H(Http2FrameType.Ping, 0, 1, 8), new byte[8], out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(9)]
    public void ParsePing_NotEightBytes_FrameSizeError(int length)
    {
        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParsePing(H(Http2FrameType.Ping, 0, 0, length), new byte[length], out _));
    }

    // GOAWAY (§6.8)

    [Fact]
    public void ParseGoAway_WithDebugData_AllFields()
    {
        byte[] bytes = Hex("80000007 0000000B 63616C6D");

        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseGoAway(H(Http2FrameType.GoAway, 0, 0, bytes.Length), bytes, out int lastStreamId, out Http2ErrorCode code, out ReadOnlySpan<byte> debug));
        Assert.Equal(7, lastStreamId);
        Assert.Equal(Http2ErrorCode.EnhanceYourCalm, code);
        Assert.Equal("calm"u8.ToArray(), debug.ToArray());
    }

    [Fact]
    public void ParseGoAway_EightBytes_NoDebugData()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseGoAway(H(Http2FrameType.GoAway, 0, 0, 8), Hex("7FFFFFFF 000000FF"), out int lastStreamId, out Http2ErrorCode code, out ReadOnlySpan<byte> debug));
        Assert.Equal(int.MaxValue, lastStreamId);
        Assert.Equal((Http2ErrorCode)0xFF, code);
        Assert.True(debug.IsEmpty);
    }

    [Fact]
    public void ParseGoAway_OffStreamZero_ProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseGoAway(H(Http2FrameType.GoAway, 0, 1, 8), new byte[8], out _, out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(7)]
    public void ParseGoAway_UnderEightBytes_FrameSizeError(int length)
    {
        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParseGoAway(H(Http2FrameType.GoAway, 0, 0, length), new byte[length], out _, out _, out _));
    }

    // WINDOW_UPDATE (§6.9)

    [Theory]
    [InlineData("00000001", 1)]
    [InlineData("7FFFFFFF", int.MaxValue)]
    [InlineData("80000001", 1)] // reserved bit dropped
    public void ParseWindowUpdate_Valid_Increment(string payload, int expected)
    {
        foreach (int streamId in new[] { 0, 1 })
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseWindowUpdate(H(Http2FrameType.WindowUpdate, 0, streamId, 4), Hex(payload), out int increment, out bool streamError));
            Assert.Equal(expected, increment);
            Assert.False(streamError);
        }
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("80000000")]
    public void ParseWindowUpdate_ZeroOnStream_StreamProtocolError(string payload)
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseWindowUpdate(H(Http2FrameType.WindowUpdate, 0, 3, 4), Hex(payload), out _, out bool streamError));
        Assert.True(streamError);
    }

    [Fact]
    public void ParseWindowUpdate_ZeroOnConnection_ConnectionProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseWindowUpdate(H(Http2FrameType.WindowUpdate, 0, 0, 4), Hex("00000000"), out _, out bool streamError));
        Assert.False(streamError);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(0, 5)]
    [InlineData(1, 3)]
    [InlineData(1, 5)]
    [InlineData(1, 0)]
    public void ParseWindowUpdate_NotFourBytes_ConnectionFrameSizeError(int streamId, int length)
    {
        byte[] bytes = new byte[length];
        bytes.AsSpan().Fill(0x01);

        Assert.Equal(Http2ErrorCode.FrameSizeError, Http2FrameReader.ParseWindowUpdate(H(Http2FrameType.WindowUpdate, 0, streamId, length), bytes, out _, out bool streamError));
        Assert.False(streamError);
    }

    // CONTINUATION (§6.10)

    [Fact]
    public void ParseContinuation_OnStream_NoError()
    {
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseContinuation(H(Http2FrameType.Continuation, Http2Flags.EndHeaders, 1, 2), Hex("8486")));
        Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseContinuation(H(Http2FrameType.Continuation, 0, 1, 0), default));
    }

    [Fact]
    public void ParseContinuation_StreamZero_ProtocolError()
    {
        Assert.Equal(Http2ErrorCode.ProtocolError, Http2FrameReader.ParseContinuation(H(Http2FrameType.Continuation, Http2Flags.EndHeaders, 0, 1), Hex("84")));
    }

    private static Http2FrameHeader H(Http2FrameType type, Http2Flags flags, int streamId, int length) => new(length, type, flags, streamId);
}
