using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// h2spec's "generic" group: ordinary use of every frame type and HPACK representation, each of
/// which the server must simply accept (a response, a PING ACK, a SETTINGS ACK).
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class GenericTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private static async Task OkAsync(H2Client client, uint streamId)
    {
        var head = await client.HeadersAsync(streamId);
        Assert.True(head.Field(":status") == "200", $"expected :status 200 on stream {streamId}; got {head}. Server sent: {client.Transcript}");
    }

    [Fact]
    public async Task Generic_1_1_ClientPreface_FirstFrameIsServerSettings()
    {
        var client = await ConnectAsync();
        await client.SendAsync(Preface, Settings((H2Setting.INITIAL_WINDOW_SIZE, 65535)));
        using var cts = new CancellationTokenSource(H2Expect.Timeout);
        var first = await client.ReadFrameAsync(cts.Token);
        Assert.True(first is { Type: H2Type.SETTINGS, IsAck: false }, $"the server's first frame must be SETTINGS without ACK; server sent: {client.Transcript}");
    }

    [Fact]
    public async Task Generic_2_1_PriorityOnIdleStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(1, 0, false, 255), Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    [Fact]
    public async Task Generic_2_2_WindowUpdateOnHalfClosedRemoteStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 0)), Request(client, 1), WindowUpdate(1, 1));
        await client.DataAsync(1);
    }

    [Fact]
    public async Task Generic_2_3_PriorityOnHalfClosedRemoteStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings((H2Setting.INITIAL_WINDOW_SIZE, 0)), Request(client, 1), Priority(1, 0, false, 255), WindowUpdate(1, 1));
        await client.DataAsync(1);
    }

    [Fact]
    public async Task Generic_2_4_RstStreamOnHalfClosedRemoteStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1), RstStream(1, H2Error.CANCEL), Ping(PingData));
        await client.PingAckOrCloseAsync(PingData);
    }

    [Fact]
    public async Task Generic_2_5_PriorityOnClosedStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1));
        await client.ResponseAsync(1);
        await client.SendAsync(Priority(1, 0, false, 255), Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    [Fact]
    public async Task Generic_3_1_1_Data_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false, method: "POST"), Data(1, "test", endStream: true));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_1_2_MultipleData_AreAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false, method: "POST"), Data(1, "test", endStream: false), Data(1, "test", endStream: true));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_1_3_DataWithPadding_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false, method: "POST"), DataPadded(1, "test"u8, 6, endStream: true));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_2_1_Headers_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_2_2_HeadersWithPadding_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().ToArray(), endStream: true, padLength: 8));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_2_3_HeadersWithPriority_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().ToArray(), endStream: true, priority: (0, false, 255)));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_3_1_PriorityWeight1_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(1, 0, false, 0), Request(client, 1));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_3_2_PriorityWeight256_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(1, 0, false, 255), Request(client, 1));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_3_3_PriorityWithDependency_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(3, 1, false, 0), Request(client, 1));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_3_4_PriorityExclusive_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(1, 0, true, 0), Request(client, 1));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_3_5_PriorityOnIdleStreamThenHeadersOnLowerStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Priority(3, 0, false, 255), Request(client, 1));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_4_1_RstStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false), RstStream(1, H2Error.CANCEL), Ping(PingData));
        await client.PingAckOrCloseAsync(PingData);
    }

    [Fact]
    public async Task Generic_3_5_1_Settings_IsAcknowledged()
    {
        var client = await OpenAsync();
        await client.SendAsync(Settings(
            (H2Setting.HEADER_TABLE_SIZE, 4096),
            (H2Setting.ENABLE_PUSH, 1),
            (H2Setting.MAX_CONCURRENT_STREAMS, 100),
            (H2Setting.INITIAL_WINDOW_SIZE, 65535),
            (H2Setting.MAX_FRAME_SIZE, 16384),
            (H2Setting.MAX_HEADER_LIST_SIZE, 100)));
        await client.SettingsAckAsync();
    }

    [Fact]
    public async Task Generic_3_7_1_Ping_IsAnsweredWithSamePayload()
    {
        var client = await OpenAsync();
        await client.SendAsync(Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    [Fact]
    public async Task Generic_3_8_1_GoAway_ServerClosesConnection()
    {
        var client = await OpenAsync();
        await client.SendAsync(GoAway(0, (uint)H2Error.NO_ERROR, "h2spec"u8));
        await client.ConnectionCloseAsync();
    }

    [Fact]
    public async Task Generic_3_9_1_WindowUpdateOnConnection_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(WindowUpdate(0, 1), Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    [Fact]
    public async Task Generic_3_9_2_WindowUpdateOnStream_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1), WindowUpdate(1, 1));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_10_1_Continuation_IsAccepted()
    {
        var client = await OpenAsync();
        var block = client.Request().ToArray();
        await client.SendAsync(Headers(1, block.AsSpan(0, 5), endStream: true, endHeaders: false), Continuation(1, block.AsSpan(5), endHeaders: true));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_3_10_2_MultipleContinuations_AreAccepted()
    {
        var client = await OpenAsync();
        var block = client.Request().ToArray();
        await client.SendAsync(
            Headers(1, block.AsSpan(0, 5), endStream: true, endHeaders: false),
            Continuation(1, block.AsSpan(5, 5), endHeaders: false),
            Continuation(1, block.AsSpan(10), endHeaders: true));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_4_1_Get_IsAnswered()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1));
        var response = await client.ResponseAsync(1);
        Assert.Equal(200, response.Status);
        Assert.Equal("Hello World!", System.Text.Encoding.ASCII.GetString(response.Body));
    }

    [Fact]
    public async Task Generic_4_2_Head_IsAnsweredWithoutBody()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, method: "HEAD"));
        var response = await client.ResponseAsync(1);
        Assert.Equal(200, response.Status);
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Generic_4_3_Post_IsAnswered()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false, method: "POST"), Data(1, "test", endStream: true));
        Assert.Equal(200, (await client.ResponseAsync(1)).Status);
    }

    [Fact]
    public async Task Generic_4_4_PostWithTrailers_IsAnswered()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST").Field("trailer", "x-test").ToArray(), endStream: false),
            Data(1, "test", endStream: false),
            Headers(1, H2RequestBlock.Fields(("x-test", "ok")).ToArray(), endStream: true));
        Assert.Equal(200, (await client.ResponseAsync(1)).Status);
    }

    // generic/5: each HPACK representation appended to the common request, plain and
    // Huffman-coded (user-agent is static index 58; "h2spec" Huffman-coded is 9c48aca4, "x-test"
    // is f2b24a84ff); the server must decode it and answer.
    [Theory]
    [InlineData("5_1_IndexedField", "ba")] // user-agent with an empty value
    [InlineData("5_2_IncrementalIndexing_IndexedName", "7a 06 683273706563")]
    [InlineData("5_3_IncrementalIndexing_IndexedName_Huffman", "7a 84 9c48aca4")]
    [InlineData("5_4_IncrementalIndexing_NewName", "40 06 782d74657374 06 683273706563")]
    [InlineData("5_5_IncrementalIndexing_NewName_Huffman", "40 85 f2b24a84ff 84 9c48aca4")]
    [InlineData("5_6_WithoutIndexing_IndexedName", "0f2b 06 683273706563")]
    [InlineData("5_7_WithoutIndexing_IndexedName_Huffman", "0f2b 84 9c48aca4")]
    [InlineData("5_8_WithoutIndexing_NewName", "00 06 782d74657374 06 683273706563")]
    [InlineData("5_9_WithoutIndexing_NewName_Huffman", "00 85 f2b24a84ff 84 9c48aca4")]
    [InlineData("5_10_NeverIndexed_IndexedName", "1f2b 06 683273706563")]
    [InlineData("5_11_NeverIndexed_IndexedName_Huffman", "1f2b 84 9c48aca4")]
    [InlineData("5_12_NeverIndexed_NewName", "10 06 782d74657374 06 683273706563")]
    [InlineData("5_13_NeverIndexed_NewName_Huffman", "10 85 f2b24a84ff 84 9c48aca4")]
    [InlineData("5_13b_IncrementalIndexing_HuffmanName_user-agent", "40 87 b505b161cc5a93 84 9c48aca4")]
    public async Task Generic_5_HpackRepresentation_IsAccepted(string section, string representation)
    {
        _ = section;
        var client = await OpenAsync();
        var block = client.Request().RawHex(representation.Replace(" ", "", StringComparison.Ordinal)).ToArray();
        await client.SendAsync(Headers(1, block, endStream: true));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_5_14_DynamicTableSizeUpdate_IsAccepted()
    {
        var client = await OpenAsync();
        var block = new H2RequestBlock().TableSizeUpdate(0).RawBytes(client.Request().ToArray()).ToArray();
        await client.SendAsync(Headers(1, block, endStream: true));
        await OkAsync(client, 1);
    }

    [Fact]
    public async Task Generic_5_15_TwoDynamicTableSizeUpdates_AreAccepted()
    {
        var client = await OpenAsync();
        var block = new H2RequestBlock().TableSizeUpdate(0).TableSizeUpdate(4096).RawBytes(client.Request().ToArray()).ToArray();
        await client.SendAsync(Headers(1, block, endStream: true));
        await OkAsync(client, 1);
    }
}
