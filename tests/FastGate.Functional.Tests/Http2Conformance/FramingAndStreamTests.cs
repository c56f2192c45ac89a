using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// RFC 9113 §3.4 (preface), §4 (frame format, size, header compression) and §5 (stream states,
/// identifiers, concurrency, dependencies, error handling, extensions): h2spec's http2/3.5 to 5.5.
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class FramingAndStreamTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private static readonly byte[] Zero8 = new byte[8];

    // 3.4 / h2spec 3.5

    [Fact]
    public async Task Http2_3_5_1_ClientPreface_ServerPrefaceIsSettings()
    {
        var client = await ConnectAsync();
        await client.SendAsync(Preface, Settings((H2Setting.INITIAL_WINDOW_SIZE, 65535)));
        using var cts = new CancellationTokenSource(H2Expect.Timeout);
        var first = await client.ReadFrameAsync(cts.Token);
        Assert.True(first is { Type: H2Type.SETTINGS, IsAck: false, StreamId: 0 }, $"the server connection preface must be a SETTINGS frame; server sent: {client.Transcript}");
    }

    [Fact]
    public async Task Http2_3_5_2_InvalidPreface_ConnectionCloses()
    {
        var client = await ConnectAsync();
        await client.SendAsync("INVALID CONNECTION PREFACE\r\n\r\n"u8.ToArray());
        await client.ConnectionCloseAsync();
    }

    // 4.1

    [Fact]
    public async Task Http2_4_1_1_UnknownFrameType_IsIgnored()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, 0x16, 0, 0, Zero8), Ping(Zero8));
        await client.PingAckAsync(Zero8);
    }

    [Fact]
    public async Task Http2_4_1_2_UndefinedFlag_IsIgnored()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, H2Type.PING, 0x16, 0, Zero8));
        await client.PingAckAsync(Zero8);
    }

    [Fact]
    public async Task Http2_4_1_3_ReservedBit_IsIgnored()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, H2Type.PING, 0x16, 0, Zero8, reservedBit: true));
        await client.PingAckAsync(Zero8);
    }

    // 4.2

    [Fact]
    public async Task Http2_4_2_1_DataOf16384Octets_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false, method: "POST"), Data(1, new byte[16384], endStream: true));
        await client.HeadersAsync(1);
    }

    [Fact]
    public async Task Http2_4_2_2_DataOverMaxFrameSize_IsFrameSizeError()
    {
        var client = await OpenAsync();
        // /echo answers only after the whole body, so the stream is still open when the bad frame arrives.
        await client.SendAsync(Request(client, 1, endStream: false, method: "POST", path: "/echo"), Data(1, new byte[16385], endStream: true));
        await client.StreamErrorAsync(1, H2Error.FRAME_SIZE_ERROR);
    }

    [Fact]
    public async Task Http2_4_2_3_HeadersOverMaxFrameSize_IsConnectionFrameSizeError()
    {
        var client = await OpenAsync();
        var block = client.Request();
        for (var i = 0; i < 5; i++)
        {
            block.Field($"x-dummy{i}", Dummy);
        }
        await client.SendAsync(Headers(1, block.ToArray(), endStream: true));
        await client.ConnectionErrorAsync(H2Error.FRAME_SIZE_ERROR);
    }

    // 4.3

    [Fact]
    public async Task Http2_4_3_1_InvalidHeaderBlockFragment_IsCompressionError()
    {
        var client = await OpenAsync();
        // A literal with incremental indexing (0x40) and nothing after it.
        await client.SendAsync(Raw(1, H2Type.HEADERS, H2Flag.END_STREAM | H2Flag.END_HEADERS, 1, [0x40]));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Http2_4_3_2_PriorityInsideHeaderBlock_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request().ToArray(), endStream: false, endHeaders: false),
            Priority(1, 0, false, 255),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_4_3_3_HeadersOnOtherStreamInsideHeaderBlock_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request().ToArray(), endStream: false, endHeaders: false),
            Request(client, 3),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    // 5.1 stream states

    [Fact]
    public async Task Http2_5_1_1_IdleStream_Data_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Data(1, "test", endStream: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_1_2_IdleStream_RstStream_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(RstStream(1, H2Error.CANCEL));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_1_3_IdleStream_WindowUpdate_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(WindowUpdate(1, 100));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_1_4_IdleStream_Continuation_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Continuation(1, client.Request().ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_1_5_HalfClosedRemote_Data_IsStreamClosed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1), Data(1, "test", endStream: true));
        await client.StreamErrorAsync(1, H2Error.STREAM_CLOSED);
    }

    [Fact]
    public async Task Http2_5_1_6_HalfClosedRemote_Headers_IsStreamClosed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1), Request(client, 1));
        await client.StreamErrorAsync(1, H2Error.STREAM_CLOSED);
    }

    [Fact]
    public async Task Http2_5_1_7_HalfClosedRemote_Continuation_IsStreamClosedOrProtocolError()
    {
        var client = await OpenAsync();
        var block = client.Request().ToArray();
        await client.SendAsync(Headers(1, block, endStream: true), Continuation(1, block, endHeaders: true));
        await client.StreamErrorAsync(1, H2Error.STREAM_CLOSED, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_1_8_ClosedByRstStream_Data_IsStreamClosed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false), RstStream(1, H2Error.CANCEL), Data(1, "test", endStream: true));
        await client.StreamErrorAsync(1, H2Error.STREAM_CLOSED);
    }

    [Fact]
    public async Task Http2_5_1_9_ClosedByRstStream_Headers_IsStreamClosed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false), RstStream(1, H2Error.CANCEL), Request(client, 1));
        await client.StreamErrorAsync(1, H2Error.STREAM_CLOSED);
    }

    [Fact]
    public async Task Http2_5_1_10_ClosedByRstStream_Continuation_IsStreamClosedOrProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Request(client, 1, endStream: false),
            RstStream(1, H2Error.CANCEL),
            Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.StreamErrorAsync(1, H2Error.STREAM_CLOSED, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_1_11_ClosedStream_Data_IsStreamClosed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1));
        await client.ResponseAsync(1);
        await client.SendAsync(Data(1, "test", endStream: true));
        await client.ConnectionErrorAsync(H2Error.STREAM_CLOSED);
    }

    [Fact]
    public async Task Http2_5_1_12_ClosedStream_Headers_IsStreamClosed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1));
        await client.ResponseAsync(1);
        await client.SendAsync(Request(client, 1));
        await client.ConnectionErrorAsync(H2Error.STREAM_CLOSED);
    }

    [Fact]
    public async Task Http2_5_1_13_ClosedStream_Continuation_IsStreamClosedOrProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1));
        await client.ResponseAsync(1);
        await client.SendAsync(Continuation(1, H2RequestBlock.Fields(("x-dummy0", Dummy)).ToArray(), endHeaders: true));
        await client.ConnectionErrorAsync(H2Error.STREAM_CLOSED, H2Error.PROTOCOL_ERROR);
    }

    // 5.4.2: frames the client had in flight for a stream we reset are ignored, however many
    // other streams we reset meanwhile.

    [Fact]
    public async Task StreamWeReset_DataInFlightAfterManyMoreResets_IsIgnored()
    {
        var client = await OpenAsync();
        // Malformed POSTs (an uppercase field name), each reset by us before its body came.
        for (uint id = 1; id <= 81; id += 2)
        {
            await client.SendAsync(Headers(id, client.Request("POST", "/echo").Field("X-TEST", "ok").ToArray(), endStream: false));
            await client.StreamErrorAsync(id, H2Error.PROTOCOL_ERROR);
        }

        // The body the client sent for stream 1 before it saw the reset arrives only now.
        await client.SendAsync(Data(1, "late", endStream: true), Ping(PingData));

        await client.PingAckAsync(PingData);
    }

    // 5.1.1 stream identifiers

    [Fact]
    public async Task Http2_5_1_1_1_EvenStreamId_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 2));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_1_1_2_StreamIdSmallerThanPrevious_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 5), Request(client, 3));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    // 5.1.2 stream concurrency

    [Fact]
    public async Task Http2_5_1_2_1_StreamsOverMaxConcurrentStreams_AreRefused()
    {
        var client = await OpenAsync();
        Assert.True(client.ServerSettings.TryGetValue(H2Setting.MAX_CONCURRENT_STREAMS, out var max), "the server must announce SETTINGS_MAX_CONCURRENT_STREAMS (the brief's default is 128)");
        Assert.Equal(128u, max);
        // A zero window keeps every response from finishing, so the streams stay open.
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 0)));
        var frames = new List<byte[]>();
        for (uint i = 0; i <= max; i++)
        {
            frames.Add(Request(client, 1 + 2 * i));
        }
        await client.SendAsync(Concat([.. frames]));
        await client.StreamErrorAsync(1 + 2 * max, H2Error.PROTOCOL_ERROR, H2Error.REFUSED_STREAM);
    }

    // 5.3.1 stream dependencies

    [Fact]
    public async Task Http2_5_3_1_1_HeadersDependingOnItself_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().ToArray(), endStream: true, priority: (1, false, 255)));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_5_3_1_2_PriorityDependingOnItself_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(1, 1, false, 255));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    // 5.4.1 connection error handling

    [Fact]
    public async Task Http2_5_4_1_1_InvalidPing_ConnectionCloses()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, H2Type.PING, 0, 3, Zero8));
        await client.ConnectionCloseAsync();
    }

    [Fact]
    public async Task Http2_5_4_1_2_InvalidPing_GoAwayIsSentFirst()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, H2Type.PING, 0, 3, Zero8));
        var goaway = await client.GoAwayAsync(H2Error.PROTOCOL_ERROR);
        Assert.Equal(0u, goaway.StreamId);
        await client.ConnectionCloseAsync();
    }

    // 5.5 extending HTTP/2

    [Fact]
    public async Task Http2_5_5_1_UnknownExtensionFrame_IsIgnored()
    {
        var client = await OpenAsync();
        await client.SendAsync(Raw(8, 0x16, 0, 0, Zero8), Ping(Zero8));
        await client.PingAckAsync(Zero8);
    }

    [Fact]
    public async Task Http2_5_5_2_UnknownExtensionFrameInsideHeaderBlock_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().ToArray(), endStream: true, endHeaders: false), Raw(8, 0x16, 0, 0, Zero8));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }
}
