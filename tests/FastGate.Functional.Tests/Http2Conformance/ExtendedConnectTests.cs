using System.Runtime.CompilerServices;
using FastGate.Functional.Tests.Infrastructure;
using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// RFC 8441 (bootstrapping WebSockets with HTTP/2) over the wire: SETTINGS_ENABLE_CONNECT_PROTOCOL,
/// the extended CONNECT and its malformed forms, and WebSocket frames in DATA, through the daemon
/// to the mock upstream's <c>/ws</c> echo.
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class ExtendedConnectTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private const ushort EnableConnectProtocol = 0x8;

    private static H2RequestBlock WebSocketConnect(H2Client client, string path = "/ws", string protocol = "websocket", string version = "13") =>
        H2RequestBlock.Fields(
            (":method", "CONNECT"),
            (":protocol", protocol),
            (":scheme", "http"),
            (":path", path),
            (":authority", $"127.0.0.1:{client.Port}"),
            ("sec-websocket-version", version));

    /// <summary>Opens a WebSocket on <paramref name="streamId"/>: the 200 (without END_STREAM) is read.</summary>
    private static async Task<H2Frame> OpenWebSocketAsync(H2Client client, uint streamId, string path = "/ws")
    {
        await client.SendAsync(Headers(streamId, WebSocketConnect(client, path).ToArray(), endStream: false));
        var head = await client.HeadersAsync(streamId);
        Assert.True(head.Field(":status") == "200", $"expected :status 200; server sent: {client.Transcript}");
        Assert.False(head.EndStream);
        return head;
    }

    /// <summary>
    /// The next WebSocket frame the server sent on the stream, from the DATA bytes in
    /// <paramref name="pending"/> and those that follow; <paramref name="ended"/> turns true when
    /// the stream's END_STREAM came meanwhile.
    /// </summary>
    private static async Task<WebSocketWireFrame> ReadWebSocketFrameAsync(H2Client client, uint streamId, List<byte> pending, StrongBox<bool> ended)
    {
        while (true)
        {
            var parsed = await TryParseAsync(pending);
            if (parsed is not null)
            {
                return parsed;
            }
            Assert.False(ended.Value, $"the stream ended before a whole WebSocket frame; server sent: {client.Transcript}");
            await client.UntilAsync($"DATA on stream {streamId}", frame => frame switch
            {
                null => false,
                { Type: H2Type.DATA } data when data.StreamId == streamId => Take(data),
                { Type: H2Type.RST_STREAM } reset when reset.StreamId == streamId => false,
                { Type: H2Type.GOAWAY } => false,
                _ => null,
            });
        }

        bool Take(H2Frame data)
        {
            pending.AddRange(data.Data.ToArray());
            ended.Value |= data.EndStream;
            return true;
        }
    }

    private static async Task<WebSocketWireFrame?> TryParseAsync(List<byte> pending)
    {
        using var bytes = new MemoryStream(pending.ToArray());
        var frame = await WebSocketWire.ReadFrameAsync(bytes);
        if (frame is not null)
        {
            pending.RemoveRange(0, (int)bytes.Position);
        }
        return frame;
    }

    /// <summary>Reads until END_STREAM on the stream (DATA or a RST_STREAM NO_ERROR after it may follow).</summary>
    private static Task EndStreamAsync(H2Client client, uint streamId) =>
        client.UntilAsync($"END_STREAM on stream {streamId}", frame => frame switch
        {
            null => false,
            { Type: H2Type.DATA or H2Type.HEADERS } f when f.StreamId == streamId && f.EndStream => true,
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == streamId => false,
            { Type: H2Type.GOAWAY } => false,
            _ => null,
        });

    [Fact]
    public async Task Settings_EnableConnectProtocol_IsAnnounced()
    {
        var client = await OpenAsync();

        Assert.True(client.ServerSettings.TryGetValue(EnableConnectProtocol, out var value), $"SETTINGS_ENABLE_CONNECT_PROTOCOL not announced; server sent: {client.Transcript}");
        Assert.Equal(1u, value);
    }

    [Fact]
    public async Task ExtendedConnect_WebSocket_Answers200_AndDataCarryTheFramesBothWays()
    {
        var client = await OpenAsync();

        var head = await OpenWebSocketAsync(client, 1);
        // The HTTP/1.1 handshake's fields stay behind (RFC 8441 §5: no Sec-WebSocket-Accept).
        Assert.Null(head.Field("sec-websocket-accept"));
        Assert.Null(head.Field("upgrade"));
        Assert.Null(head.Field("connection"));

        var pending = new List<byte>();
        var ended = new StrongBox<bool>();
        await client.SendAsync(Data(1, WebSocketWire.Frame(WebSocketWireFrame.Text, "hello over h2"u8), endStream: false));
        var echo = await ReadWebSocketFrameAsync(client, 1, pending, ended);
        Assert.Equal(WebSocketWireFrame.Text, echo.Opcode);
        Assert.False(echo.Masked);
        Assert.Equal("hello over h2", System.Text.Encoding.UTF8.GetString(echo.Payload));

        // A frame split across DATA frames is one frame to the WebSocket.
        var split = WebSocketWire.Frame(WebSocketWireFrame.Binary, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        await client.SendAsync(Data(1, split.AsSpan(0, 3), endStream: false), Data(1, split.AsSpan(3), endStream: false));
        echo = await ReadWebSocketFrameAsync(client, 1, pending, ended);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, echo.Payload);

        // Close handshake: our close comes back with its code, then the server's END_STREAM; ours ends the stream.
        await client.SendAsync(Data(1, WebSocketWire.CloseFrame(1000, "done"), endStream: false));
        var close = await ReadWebSocketFrameAsync(client, 1, pending, ended);
        Assert.Equal(WebSocketWireFrame.Close, close.Opcode);
        Assert.Equal(1000, close.CloseCode);
        if (!ended.Value)
        {
            await EndStreamAsync(client, 1);
        }
        await client.SendAsync(Data(1, [], endStream: true));

        await client.SendAsync(Request(client, 3));
        Assert.Equal(200, (await client.ResponseAsync(3)).Status);
    }

    [Fact]
    public async Task ExtendedConnect_UpstreamCloses_TunnelEndsAsANormalClose()
    {
        const string Normal = "fastgate_websocket_closes_total{reason=\"normal\"}";
        var before = FastGateProcess.Metric(await Fixture.Gateway.MetricsAsync(), Normal);
        var client = await OpenAsync();
        await OpenWebSocketAsync(client, 1);
        var pending = new List<byte>();
        var ended = new StrongBox<bool>();

        // The upstream closes first; its END_STREAM ends the stream before the client's.
        await client.SendAsync(Data(1, WebSocketWire.Frame(WebSocketWireFrame.Text, "close:4000"u8), endStream: false));
        var close = await ReadWebSocketFrameAsync(client, 1, pending, ended);
        Assert.Equal(4000, close.CloseCode);
        await client.SendAsync(Data(1, WebSocketWire.CloseFrame(4000), endStream: false));
        if (!ended.Value)
        {
            await EndStreamAsync(client, 1);
        }

        // The upstream's FIN ends the stream (END_STREAM, then RST_STREAM NO_ERROR, which tells
        // the client to stop as a FIN would): the tunnel ends as a close handshake, not a reset.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (FastGateProcess.Metric(await Fixture.Gateway.MetricsAsync(), Normal) < before + 1)
        {
            await Task.Delay(50, cts.Token);
        }
    }

    [Fact]
    public async Task ExtendedConnect_UnmaskedClientFrame_Closes1002_AndTheConnectionServesOn()
    {
        var client = await OpenAsync();
        await OpenWebSocketAsync(client, 1);
        await OpenWebSocketAsync(client, 3);
        var pending = new List<byte>();
        var ended = new StrongBox<bool>();

        await client.SendAsync(Data(1, WebSocketWire.Frame(WebSocketWireFrame.Text, "naked"u8, masked: false), endStream: false));

        var close = await ReadWebSocketFrameAsync(client, 1, pending, ended);
        Assert.Equal(WebSocketWireFrame.Close, close.Opcode);
        Assert.Equal(1002, close.CloseCode);
        if (!ended.Value)
        {
            await EndStreamAsync(client, 1);
        }

        // The other WebSocket and new requests on the connection go on.
        var otherPending = new List<byte>();
        await client.SendAsync(Data(3, WebSocketWire.Frame(WebSocketWireFrame.Text, "still open"u8), endStream: false));
        var echo = await ReadWebSocketFrameAsync(client, 3, otherPending, new StrongBox<bool>());
        Assert.Equal("still open", System.Text.Encoding.UTF8.GetString(echo.Payload));
        await client.SendAsync(Request(client, 5));
        Assert.Equal(200, (await client.ResponseAsync(5)).Status);
    }

    [Fact]
    public async Task ExtendedConnect_RstStreamFromClient_EndsTheTunnel()
    {
        var client = await OpenAsync();
        await OpenWebSocketAsync(client, 1);
        // The gauge counts the tunnel once the 200 is out, which may be just after the client read it.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (FastGateProcess.Metric(await Fixture.Gateway.MetricsAsync(), "fastgate_websocket_open") < 1)
        {
            await Task.Delay(20, cts.Token);
        }

        await client.SendAsync(RstStream(1, H2Error.CANCEL));

        while (FastGateProcess.Metric(await Fixture.Gateway.MetricsAsync(), "fastgate_websocket_open") > 0)
        {
            await Task.Delay(50, cts.Token);
        }
        await client.SendAsync(Request(client, 3));
        Assert.Equal(200, (await client.ResponseAsync(3)).Status);
    }

    [Fact]
    public async Task ExtendedConnect_WithEndStream_IsStreamProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, WebSocketConnect(client).ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Theory]
    [InlineData(":path")]
    [InlineData(":scheme")]
    [InlineData(":authority")]
    public async Task ExtendedConnect_WithoutAPseudoHeader_IsStreamProtocolError(string missing)
    {
        var client = await OpenAsync();
        var fields = new (string, string)[]
        {
            (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/ws"),
            (":authority", $"127.0.0.1:{client.Port}"), ("sec-websocket-version", "13"),
        };
        var block = H2RequestBlock.Fields([.. fields.Where(f => f.Item1 != missing)]);
        await client.SendAsync(Headers(1, block.ToArray(), endStream: false));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task ExtendedConnect_OtherProtocol_Answers501()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, WebSocketConnect(client, protocol: "connect-udp").ToArray(), endStream: false));
        Assert.Equal(501, (await client.ResponseAsync(1)).Status);
    }

    [Fact]
    public async Task ExtendedConnect_VersionOtherThan13_Answers426Naming13()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, WebSocketConnect(client, version: "8").ToArray(), endStream: false));
        var response = await client.ResponseAsync(1);
        Assert.Equal(426, response.Status);
        Assert.Equal("13", response.Head.Field("sec-websocket-version"));
    }

    [Fact]
    public async Task ExtendedConnect_UpstreamAnswers200WithoutSwitching_Answers502()
    {
        // The mock's /echo is no WebSocket endpoint: it answers 200 and ignores the upgrade. A 200
        // to CONNECT would tell the client its tunnel is open.
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, WebSocketConnect(client, path: "/echo").ToArray(), endStream: false));
        Assert.Equal(502, (await client.ResponseAsync(1)).Status);
        await client.SendAsync(Request(client, 3));
        Assert.Equal(200, (await client.ResponseAsync(3)).Status);
    }

    [Fact]
    public async Task ExtendedConnect_UpstreamAnswersAnError_ClientGetsItAsAResponse()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, WebSocketConnect(client, path: "/status/404").ToArray(), endStream: false));
        Assert.Equal(404, (await client.ResponseAsync(1)).Status);
    }

    [Fact]
    public async Task PlainConnect_IsStill501()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Fields((":method", "CONNECT"), (":authority", "example.test:443")).ToArray(), endStream: false));
        Assert.Equal(501, (await client.ResponseAsync(1)).Status);
    }

    [Fact]
    public async Task EnableConnectProtocolFalse_NotAnnounced_AndProtocolIsRefused()
    {
        await using var gateway = await FastGateProcess.StartAsync(Http2GatewayFixture.Config(Fixture.Upstream.Address, """
            [http2]
            enable_connect_protocol = false
            """));
        var client = await OpenAsync(gateway);

        Assert.False(client.ServerSettings.TryGetValue(EnableConnectProtocol, out var value) && value != 0, $"SETTINGS_ENABLE_CONNECT_PROTOCOL announced; server sent: {client.Transcript}");
        await client.SendAsync(Headers(1, WebSocketConnect(client).ToArray(), endStream: false));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
        await client.SendAsync(Request(client, 3));
        Assert.Equal(200, (await client.ResponseAsync(3)).Status);
    }
}
