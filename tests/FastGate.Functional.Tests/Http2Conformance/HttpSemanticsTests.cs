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
            Request(client, 1, endStream: false, method: "POST"),
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
            Request(client, 1, endStream: false, method: "POST"),
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

    // 8.2 (RFC 9113 §8.4) server push

    [Fact]
    public async Task Http2_8_2_1_PushPromiseFromClient_IsProtocolError()
    {
        var client = await OpenAsync();
        await client.SendAsync(PushPromise(1, 3, client.Request().ToArray()));
        await client.ConnectionErrorAsync(H2Error.PROTOCOL_ERROR);
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
