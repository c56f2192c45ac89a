using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// RFC 9113 §7 (unknown error codes) and §8 (HTTP semantics: malformed requests, pseudo-headers,
/// connection-specific fields, content-length, trailers, push): h2spec's http2/7 and 8.x. A
/// malformed request is a stream error PROTOCOL_ERROR and must not be forwarded.
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class HttpSemanticsTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    // 7 error codes

    [Fact]
    public async Task Http2_7_1_GoAwayWithUnknownErrorCode_ConnectionCloses()
    {
        var client = await OpenAsync();
        await client.SendAsync(GoAway(0, 0xff));
        await client.ConnectionCloseAsync();
    }

    [Fact]
    public async Task Http2_7_2_RstStreamWithUnknownErrorCode_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, endStream: false, method: "POST"), RstStream(1, 0xff), Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    // 8.1 request/response exchange

    [Fact]
    public async Task Http2_8_1_1_SecondHeadersWithoutEndStream_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            // /echo answers only after the whole body: an early answer would close the stream
            // first, and frames on a closed stream are ignored (RFC 9113 §5.1).
            Request(client, 1, endStream: false, method: "POST", path: "/echo"),
            Data(1, "test", endStream: false),
            Headers(1, H2RequestBlock.Fields(("x-test", "ok")).ToArray(), endStream: false));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    // 8.1.2 (RFC 9113 §8.2) header fields

    [Fact]
    public async Task Http2_8_1_2_1_UppercaseFieldName_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field("X-TEST", "ok").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    // 8.1.2.1 (RFC 9113 §8.3) pseudo-header fields

    [Fact]
    public async Task Http2_8_1_2_1_1_UnknownPseudoHeader_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field(":test", "ok").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_1_2_ResponsePseudoHeaderInRequest_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field(":status", "200").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_1_3_PseudoHeaderInTrailers_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            // /echo answers only after the whole body: an early answer would close the stream
            // first, and frames on a closed stream are ignored (RFC 9113 §5.1).
            Request(client, 1, endStream: false, method: "POST", path: "/echo"),
            Data(1, "test", endStream: false),
            Headers(1, H2RequestBlock.Fields((":method", "POST")).ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_1_4_PseudoHeaderAfterRegularField_IsProtocolError()
    {
        var client = await OpenAsync();
        var block = new H2RequestBlock().Field("x-test", "ok").RawBytes(client.Request().ToArray()).ToArray();
        await client.SendAsync(Headers(1, block, endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    // 8.1.2.2 (RFC 9113 §8.2.2) connection-specific header fields

    [Fact]
    public async Task Http2_8_1_2_2_1_ConnectionSpecificField_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field("connection", "keep-alive").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_2_2_TeOtherThanTrailers_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field("te", "trailers, deflate").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_2_3_TeTrailers_IsAccepted()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field("te", "trailers").ToArray(), endStream: true));
        Assert.Equal(200, (await client.ResponseAsync(1)).Status);
    }

    // 8.1.2.3 (RFC 9113 §8.3.1) request pseudo-header fields

    [Fact]
    public async Task Http2_8_1_2_3_1_EmptyPath_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Fields((":method", "GET"), (":scheme", "http"), (":path", ""), (":authority", $"127.0.0.1:{client.Port}")).ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_3_2_MissingMethod_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Fields((":scheme", "http"), (":path", "/"), (":authority", $"127.0.0.1:{client.Port}")).ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_3_3_MissingScheme_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Fields((":method", "GET"), (":path", "/"), (":authority", $"127.0.0.1:{client.Port}")).ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_3_4_MissingPath_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Fields((":method", "GET"), (":scheme", "http"), (":authority", $"127.0.0.1:{client.Port}")).ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_3_5_DuplicateMethod_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field(":method", "GET").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_3_6_DuplicateScheme_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field(":scheme", "http").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_3_7_DuplicatePath_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request().Field(":path", "/").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    // 8.1.2.6 (RFC 9113 §8.1.1) malformed requests

    [Fact]
    public async Task Http2_8_1_2_6_1_ContentLengthAboveData_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST").Field("content-length", "1").ToArray(), endStream: false),
            Data(1, "test", endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_6_2_ContentLengthAboveSumOfData_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST").Field("content-length", "1").ToArray(), endStream: false),
            Data(1, "test", endStream: false),
            Data(1, "test", endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_2_6_3_DataShorterThanContentLength_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST", "/sink").Field("content-length", "10").ToArray(), endStream: false),
            Data(1, "test", endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Http2_8_1_1_ContentLengthWithoutData_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request("POST", "/sink").Field("content-length", "10").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    // 8.2 (RFC 9113 §8.4) server push

    [Fact]
    public async Task Http2_8_2_1_PushPromiseFromClient_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(PushPromise(1, 3, client.Request().ToArray()));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
    }

    // RFC 9113 §8.2.1, §8.2.2 and §8.1.1 beyond h2spec: fields an HTTP/1.1 upstream would read
    // differently (a smuggling risk for a proxy) make the request malformed. It must not be
    // forwarded; the answer is a stream error PROTOCOL_ERROR, or a 4xx before the stream ends
    // (RFC 9113 §8.1.1 lets a server answer a malformed request).

    private static Task MalformedAsync(H2Client client, uint streamId) =>
        client.UntilAsync($"stream {streamId} refused as malformed (RST_STREAM PROTOCOL_ERROR, a connection error PROTOCOL_ERROR, or a 4xx response), never forwarded", frame => frame switch
        {
            null => true,
            { Type: H2Type.GOAWAY } goaway => goaway.ErrorCode == H2Error.PROTOCOL_ERROR,
            { Type: H2Type.RST_STREAM } reset when reset.StreamId == streamId => reset.ErrorCode == H2Error.PROTOCOL_ERROR,
            { Type: H2Type.HEADERS } head when head.StreamId == streamId => head.Field(":status") is { Length: 3 } status && status[0] == '4',
            _ => null,
        });

    [Theory]
    [InlineData("connection", "close")]
    [InlineData("keep-alive", "timeout=5")]
    [InlineData("proxy-connection", "keep-alive")]
    [InlineData("transfer-encoding", "chunked")]
    [InlineData("upgrade", "websocket")]
    public async Task Http2_8_2_2_ConnectionSpecificField_IsMalformed(string name, string value)
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, client.Request("GET", "/echo").Field(name, value).ToArray(), endStream: true));
        await MalformedAsync(client, 1);
    }

    [Theory]
    [InlineData("x-test", @"a\r\nx-injected: 1")]
    [InlineData("x-test", @"a\nb")]
    [InlineData("x-test", @"a\rb")]
    [InlineData("x-test", @"a\x00b")]
    [InlineData("x-test", " leading-space")]
    [InlineData("x-test", @"trailing-tab\t")]
    [InlineData("x test", "name-with-space")]
    [InlineData("x:test", "name-with-colon")]
    [InlineData(@"x-t\xe9st", "name-with-non-ascii")]
    [InlineData("", "empty-name")]
    public async Task Http2_8_2_1_InvalidFieldNameOrValue_IsMalformed(string name, string value)
    {
        var client = await OpenAsync();
        name = System.Text.RegularExpressions.Regex.Unescape(name);
        value = System.Text.RegularExpressions.Regex.Unescape(value);
        await client.SendAsync(Headers(1, client.Request("GET", "/echo").Field(name, value).ToArray(), endStream: true));
        await MalformedAsync(client, 1);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("4, 5")]
    public async Task Http2_8_1_1_InvalidContentLength_IsMalformed(string contentLength)
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST", "/echo").Field("content-length", contentLength).ToArray(), endStream: false),
            Data(1, "test", endStream: true));
        await MalformedAsync(client, 1);
    }

    [Fact]
    public async Task Http2_8_1_1_TwoDifferentContentLengths_AreMalformed()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST", "/echo").Field("content-length", "4").Field("content-length", "5").ToArray(), endStream: false),
            Data(1, "test", endStream: true));
        await MalformedAsync(client, 1);
    }

    [Fact]
    public async Task Http2_8_3_1_PathWithoutLeadingSlash_IsMalformed()
    {
        var client = await OpenAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Fields((":method", "GET"), (":scheme", "http"), (":path", "echo"), (":authority", $"127.0.0.1:{client.Port}")).ToArray(), endStream: true));
        await MalformedAsync(client, 1);
    }

    // Responses: HTTP/1.1 framing and hop-by-hop fields of the upstream never reach the client.

    [Fact]
    public async Task Http2_8_2_2_ChunkedUpstreamResponse_HasNoConnectionSpecificFields()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, path: "/chunked/100"));
        var response = await client.ResponseAsync(1);
        Assert.Equal(200, response.Status);
        Assert.Equal(Infrastructure.Clients.PatternBytes(100), response.Body);
        AssertCleanFields(response.Head);
    }

    [Fact]
    public async Task Http2_8_2_2_UpstreamConnectionClose_IsNotForwardedAndConnectionGoesOn()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, path: "/close"));
        var response = await client.ResponseAsync(1);
        Assert.Equal(200, response.Status);
        Assert.Equal("bye", System.Text.Encoding.ASCII.GetString(response.Body));
        AssertCleanFields(response.Head);
        await client.SendAsync(Request(client, 3));
        Assert.Equal(200, (await client.ResponseAsync(3)).Status);
    }

    private static void AssertCleanFields(H2Frame head)
    {
        Assert.NotNull(head.Fields);
        foreach (var (name, _) in head.Fields!)
        {
            Assert.True(name == name.ToLowerInvariant(), $"response field name {name} is not lowercase ({head})");
            Assert.DoesNotContain(name, new[] { "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade" });
        }
    }

    // Streams and flow control at size.

    [Fact]
    public async Task Http2_6_9_LargeResponse_ArrivesWholeWithinTheWindows()
    {
        var client = await OpenAsync();
        await client.SendAsync(Request(client, 1, path: "/bytes/3000000"));
        var response = await client.ResponseAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(200, response.Status);
        Assert.Equal(3000000, response.Body.Length);
        Assert.True(client.LargestFrame <= 16384, $"the server sent a frame of {client.LargestFrame} octets past our SETTINGS_MAX_FRAME_SIZE of 16384");
        Assert.Equal(Infrastructure.Clients.Sha256Hex(Infrastructure.Clients.PatternBytes(3000000)), Infrastructure.Clients.Sha256Hex(response.Body));
    }

    [Fact]
    public async Task Http2_6_1_UploadInManyDataFrames_ReachesUpstreamWhole()
    {
        var client = await OpenAsync();
        var body = Infrastructure.Clients.PatternBytes(256 * 1024);
        var frames = new List<byte[]> { Headers(1, client.Request("POST", "/sink").Field("content-length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), endStream: false) };
        for (var at = 0; at < body.Length; at += 16384)
        {
            frames.Add(Data(1, body.AsSpan(at, 16384), endStream: at + 16384 == body.Length));
        }
        await client.SendAsync(Concat([.. frames]));
        var response = await client.ResponseAsync(1, TimeSpan.FromSeconds(20));
        Assert.Equal(200, response.Status);
        using var json = System.Text.Json.JsonDocument.Parse(response.Body);
        Assert.Equal(body.Length, json.RootElement.GetProperty("body_length").GetInt32());
        Assert.Equal(Infrastructure.Clients.Sha256Hex(body), json.RootElement.GetProperty("body_sha256").GetString());
    }

    [Fact]
    public async Task Http2_5_ManyConcurrentStreams_EachGetsItsOwnResponse()
    {
        var client = await OpenAsync();
        var frames = new List<byte[]>();
        for (uint i = 0; i < 20; i++)
        {
            frames.Add(Request(client, 1 + 2 * i, path: $"/bytes/{20000 + i}"));
        }
        await client.SendAsync(Concat([.. frames]));
        var bodies = new Dictionary<uint, MemoryStream>();
        var done = new HashSet<uint>();
        await client.UntilAsync("20 whole responses on streams 1 to 39", frame =>
        {
            switch (frame)
            {
                case null:
                case { Type: H2Type.RST_STREAM }:
                case { Type: H2Type.GOAWAY }:
                    return false;
                case { Type: H2Type.HEADERS } head:
                    if (head.Field(":status") != "200")
                    {
                        return false;
                    }
                    bodies[head.StreamId] = new MemoryStream();
                    break;
                case { Type: H2Type.DATA } data:
                    bodies[data.StreamId].Write(data.Data);
                    if (data.EndStream)
                    {
                        done.Add(data.StreamId);
                    }
                    break;
            }
            return done.Count == 20 ? true : null;
        }, TimeSpan.FromSeconds(20));
        for (uint i = 0; i < 20; i++)
        {
            Assert.Equal(Infrastructure.Clients.PatternBytes(20000 + (int)i), bodies[1 + 2 * i].ToArray());
        }
    }

    // Translation to the HTTP/1.1 upstream (brief: Host from :authority, cookies joined, the
    // body as sent): what the mock's /echo saw.

    [Fact]
    public async Task Http2_8_3_PostBody_ReachesUpstreamWithHostAndJoinedCookies()
    {
        var client = await OpenAsync();
        await client.SendAsync(
            Headers(1, client.Request("POST", "/echo").Field("content-length", "8").Field("cookie", "a=1").Field("cookie", "b=2").ToArray(), endStream: false),
            Data(1, "test", endStream: false),
            Data(1, "body", endStream: true));
        var response = await client.ResponseAsync(1);
        Assert.Equal(200, response.Status);
        using var echo = System.Text.Json.JsonDocument.Parse(response.Body);
        Assert.Equal("POST", echo.RootElement.GetProperty("method").GetString());
        Assert.Equal("testbody", echo.RootElement.GetProperty("body").GetString());
        var headers = echo.RootElement.GetProperty("headers");
        Assert.Equal($"127.0.0.1:{client.Port}", headers.GetProperty("host").GetString());
        Assert.Equal("a=1; b=2", headers.GetProperty("cookie").GetString());
    }
}
