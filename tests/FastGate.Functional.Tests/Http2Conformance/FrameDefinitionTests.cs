using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>RFC 9113 §6 (every frame type's rules, flow control, SETTINGS synchronization): h2spec's http2/6.1 to 6.10.</summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class FrameDefinitionTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private static readonly byte[] Zero8 = new byte[8];

    // 6.1 DATA

    [Fact]
    public async Task Http2_6_1_1_DataOnStream0_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Data(0, "test", endStream: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_1_2_DataOnHalfClosedRemoteStream_IsStreamClosed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, method: "POST"), Data(1, "test", endStream: true));
        await client.StreamErrorAsync(1, H2Error.STREAM_CLOSED);
    }

    [Fact]
    public async Task Http2_6_1_3_DataWithInvalidPadLength_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST").Field("content-length", "4").ToArray(), endStream: false),
            // Length 5: pad length 6 and "Test", so the padding is longer than what remains.
            Raw(5, H2Type.DATA, H2Flag.PADDED | H2Flag.END_STREAM, 1, [0x06, .. "Test"u8]));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    // 6.2 HEADERS

    [Fact]
    public async Task Http2_6_2_1_HeadersWithoutEndHeadersThenPriority_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request().ToArray(), endStream: false, endHeaders: false),
            Priority(1, 0, false, 255),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_2_2_HeadersToOtherStreamWhileSendingHeaderBlock_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request().ToArray(), endStream: false, endHeaders: false),
            Request(client, 3),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_2_3_HeadersOnStream0_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(0, client.Request().ToArray(), endStream: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_2_4_HeadersWithInvalidPadLength_IsProtocolError()
    {
        var client = await OpenAsync();
        var block = client.Request().ToArray();
        // The length covers the pad length octet and the block; the pad length says one more than the block.
        await client.SendAsync(Raw(block.Length + 1, H2Type.HEADERS, H2Flag.PADDED | H2Flag.END_HEADERS | H2Flag.END_STREAM, 1, [(byte)(block.Length + 2), .. block]));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    // 6.3 PRIORITY

    [Fact]
    public async Task Http2_6_3_1_PriorityOnStream0_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(0, 0, false, 255));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_3_2_PriorityOfLength4_IsFrameSizeError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1), Raw(4, H2Type.PRIORITY, 0, 1, [0x80, 0, 0, 1]));
        await client.StreamErrorAsync(1, H2Error.FRAME_SIZE_ERROR);
    }

    [Fact]
    public async Task Http2_6_3_3_PriorityOnIdleStreamThenHeadersOnLowerStream_IsAnswered()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(3, 0, false, 255), Request(client, 1));
        await client.HeadersAsync(1);
    }

    // 6.4 RST_STREAM

    [Fact]
    public async Task Http2_6_4_1_RstStreamOnStream0_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(RstStream(0, H2Error.CANCEL));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_4_2_RstStreamOnIdleStream_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(RstStream(1, H2Error.CANCEL));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_4_3_RstStreamOfLength3_IsFrameSizeError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1), Raw(3, H2Type.RST_STREAM, 0, 1, [0, 0, 0]));
        // RFC 9113 §6.4: a connection error (h2spec also takes a RST_STREAM with the code).
        await client.StreamErrorAsync(1, H2Error.FRAME_SIZE_ERROR);
    }

    // 6.5 SETTINGS

    [Fact]
    public async Task Http2_6_5_1_SettingsAckWithPayload_IsFrameSizeError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(1, H2Type.SETTINGS, H2Flag.ACK, 0, [0]));
        await client.ConnectionErrorAsync(H2Error.FRAME_SIZE_ERROR);
    }

    [Fact]
    public async Task Http2_6_5_2_SettingsOnStream1_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(6, H2Type.SETTINGS, 0, 1, [0, 3, 0, 0, 0, 0x64]));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_5_3_SettingsLengthNotMultipleOf6_IsFrameSizeError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(9, H2Type.SETTINGS, 0, 0, [0, 3, 0, 0, 0, 0x64, 0, 2, 0]));
        await client.ConnectionErrorAsync(H2Error.FRAME_SIZE_ERROR);
    }

    // 6.5.2 defined SETTINGS parameters

    [Fact]
    public async Task Http2_6_5_2_1_EnablePushOf2_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((H2Setting.ENABLE_PUSH, 2)));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_5_2_2_InitialWindowSizeOver2Pow31Minus1_IsFlowControlError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 2147483648)));
        await client.ConnectionErrorAsync(H2Error.FLOW_CONTROL_ERROR);
    }

    [Fact]
    public async Task Http2_6_5_2_3_MaxFrameSizeBelowInitial_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((H2Setting.MAX_FRAME_SIZE, 16383)));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_5_2_4_MaxFrameSizeAboveMaximum_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((H2Setting.MAX_FRAME_SIZE, 16777216)));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_5_2_5_UnknownSetting_IsIgnored()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((0xff, 1)), Ping(Zero8));
        await client.PingAckAsync(Zero8);
    }

    // 6.5.3 settings synchronization

    [Fact]
    public async Task Http2_6_5_3_1_MultipleInitialWindowSizes_LastOneApplies()
    {
        var client = await OpenAsync();
        client.AutoWindowUpdate = false;
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 100), (H2Setting.INITIAL_WINDOW_SIZE, 1)));
        await client.SettingsAckAsync();
        await client.SendAsync(Request(client, 1));
        var data = await client.DataAsync(1);
        Assert.True(data.Payload.Length == 1, $"with SETTINGS_INITIAL_WINDOW_SIZE 100 then 1, the first DATA must carry 1 octet; got {data}");
    }

    [Fact]
    public async Task Http2_6_5_3_2_Settings_IsAcknowledged()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((H2Setting.ENABLE_PUSH, 0)));
        await client.SettingsAckAsync();
    }

    // 6.7 PING

    [Fact]
    public async Task Http2_6_7_1_Ping_IsAnsweredWithSamePayload()
    {
        var client = await OpenAsync();
        await client.SendAsync(Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    [Fact]
    public async Task Http2_6_7_2_PingAck_IsNotAnswered()
    {
        var client = await OpenAsync();
        var unexpected = "invalid\0"u8.ToArray();
        await client.SendAsync(Ping(unexpected, ack: true), Ping(PingData));
        await client.UntilAsync("a PING ACK for the second PING only (never one for the PING that was itself an ACK)", frame => frame switch
        {
            null => false,
            { Type: H2Type.PING } ping when ping.Payload.AsSpan().SequenceEqual(unexpected) => false,
            { Type: H2Type.PING } ping when ping.IsAck && ping.Payload.AsSpan().SequenceEqual(PingData) => true,
            _ => null,
        });
    }

    [Fact]
    public async Task Http2_6_7_3_PingOnStream1_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, H2Type.PING, 0, 1, Zero8));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_7_4_PingOfLength6_IsFrameSizeError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(6, H2Type.PING, 0, 0, new byte[6]));
        await client.ConnectionErrorAsync(H2Error.FRAME_SIZE_ERROR);
    }

    // 6.8 GOAWAY

    [Fact]
    public async Task Http2_6_8_1_GoAwayOnStream1_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, H2Type.GOAWAY, 0, 1, Zero8));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    // 6.9 WINDOW_UPDATE

    [Fact]
    public async Task Http2_6_9_1_WindowUpdateIncrement0OnConnection_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(WindowUpdate(0, 0));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_9_2_WindowUpdateIncrement0OnStream_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false), WindowUpdate(1, 0));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_9_3_WindowUpdateOfLength3_IsFrameSizeError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(3, H2Type.WINDOW_UPDATE, 0, 0, [0, 0, 1]));
        await client.ConnectionErrorAsync(H2Error.FRAME_SIZE_ERROR);
    }

    // 6.9.1 the flow-control window

    [Fact]
    public async Task Http2_6_9_1_1_InitialWindowSize1_DataFramesCarryOneOctet()
    {
        var client = await OpenAsync();
        client.AutoWindowUpdate = false;
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 1)));
        await client.SettingsAckAsync();
        await client.SendAsync(Request(client, 1));
        var data = await client.DataAsync(1);
        Assert.True(data.Payload.Length == 1, $"with a stream window of 1 the DATA frame must carry 1 octet; got {data}");
    }

    [Fact]
    public async Task Http2_6_9_1_2_ConnectionWindowOver2Pow31Minus1_IsFlowControlError()
    {
        var client = await OpenAsync();
        await client.SendAsync(WindowUpdate(0, 2147483647), WindowUpdate(0, 2147483647));
        await client.GoAwayAsync(H2Error.FLOW_CONTROL_ERROR);
    }

    [Fact]
    public async Task Http2_6_9_1_3_StreamWindowOver2Pow31Minus1_IsFlowControlError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false), WindowUpdate(1, 2147483647), WindowUpdate(1, 2147483647));
        await client.UntilAsync("RST_STREAM FLOW_CONTROL_ERROR on stream 1", frame => frame switch
        {
            null => false,
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == 1 => reset.ErrorCode == H2Error.FLOW_CONTROL_ERROR,
            { Type: H2Type.GOAWAY } => false,
            _ => null,
        });
    }

    // 6.9.2 initial flow-control window size

    [Fact]
    public async Task Http2_6_9_2_1_InitialWindowSizeChangedAfterHeaders_AppliesToOpenStream()
    {
        var client = await OpenAsync();
        client.AutoWindowUpdate = false;
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 0)));
        await client.SettingsAckAsync();
        await client.SendAsync(Request(client, 1));
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 1)));
        await client.SettingsAckAsync();
        var data = await client.DataAsync(1);
        Assert.True(data.Payload.Length == 1, $"after SETTINGS_INITIAL_WINDOW_SIZE 0 then 1, the DATA must carry 1 octet; got {data}");
    }

    [Fact]
    public async Task Http2_6_9_2_2_NegativeWindow_IsTracked()
    {
        var client = await OpenAsync();
        client.AutoWindowUpdate = false;
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 3)));
        await client.SettingsAckAsync();
        await client.SendAsync(Request(client, 1));
        var first = await client.DataAsync(1);
        Assert.True(first.Payload.Length == 3, $"with a window of 3 the first DATA must carry 3 octets; got {first}");
        // 3 - 3 + (2 - 3) = -1; an increment of 2 leaves a window of 1.
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 2)));
        await client.SettingsAckAsync();
        await client.SendAsync(WindowUpdate(1, 2));
        var second = await client.DataAsync(1);
        Assert.True(second.Payload.Length == 1, $"a window of -1 plus 2 allows 1 octet; got {second}");
    }

    [Fact]
    public async Task Http2_6_9_2_3_InitialWindowSizeOverMaximum_IsFlowControlError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(6, H2Type.SETTINGS, 0, 0, [0, 4, 0x80, 0, 0, 0]));
        await client.ConnectionErrorAsync(H2Error.FLOW_CONTROL_ERROR);
    }

    // 6.10 CONTINUATION

    [Fact]
    public async Task Http2_6_10_1_MultipleContinuations_AreAccepted()
    {
        var client = await OpenAsync();
        var dummy = H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray();
        await client.SendAsync(
            Headers(1, client.Request().ToArray(), endStream: true, endHeaders: false),
            Continuation(1, dummy, endHeaders: false),
            Continuation(1, dummy, endHeaders: true));
        await client.HeadersAsync(1);
    }

    [Fact]
    public async Task Http2_6_10_2_ContinuationFollowedByData_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST").ToArray(), endStream: false, endHeaders: false),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: false),
            Data(1, "test", endStream: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_10_3_ContinuationOnStream0_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request().ToArray(), endStream: true, endHeaders: false),
            Continuation(0, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_10_4_ContinuationAfterHeadersWithEndHeaders_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Request(client, 1),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_10_5_ContinuationAfterContinuationWithEndHeaders_IsProtocolError()
    {
        var client = await OpenAsync();
        var dummy = H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray();
        await client.SendAsync(
            Headers(1, client.Request().ToArray(), endStream: true, endHeaders: false),
            Continuation(1, dummy, endHeaders: true),
            Continuation(1, dummy, endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_6_10_6_ContinuationAfterData_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Request(client, 1, endStream: false, method: "POST"),
            Data(1, "test", endStream: true),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }
}
