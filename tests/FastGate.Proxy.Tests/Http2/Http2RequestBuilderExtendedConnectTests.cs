using System.Text;
using FastGate.Core.Buffers;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

public class Http2RequestBuilderExtendedConnectTests
{
    private static Http2RequestBuilder Build(bool enabled, params (string Name, string Value)[] fields)
    {
        var builder = new Http2RequestBuilder { ConnectProtocolEnabled = enabled };
        builder.Begin(trailers: false);
        foreach (var (name, value) in fields)
        {
            builder.OnHeader(Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }
        return builder;
    }

    private static readonly (string, string)[] WebSocket =
        [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"), (":path", "/chat?room=1"), (":authority", "example.test")];

    private static string Text(Http2RequestBuilder builder)
    {
        var output = new PooledByteBuffer();
        builder.WriteRequest(output, bodyFollows: true, chunked: false);
        return Encoding.ASCII.GetString(output.WrittenSpan);
    }

    [Fact]
    public void CheckRequest_ProtocolWithoutOurSetting_IsMalformed()
    {
        var builder = Build(false, WebSocket);

        Assert.Equal(":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL", builder.CheckRequest());
    }

    [Fact]
    public void CheckRequest_ExtendedConnect_IsAcceptedWithSchemePathAndAuthority()
    {
        var builder = Build(true, WebSocket);

        Assert.Null(builder.CheckRequest());
        Assert.True(builder.IsExtendedConnect);
        Assert.True(builder.IsWebSocket);
    }

    [Theory]
    [InlineData(":scheme")]
    [InlineData(":path")]
    [InlineData(":authority")]
    public void CheckRequest_ExtendedConnectWithoutAPseudoHeader_IsMalformed(string missing)
    {
        var builder = Build(true, [.. WebSocket.Where(f => f.Item1 != missing)]);

        Assert.NotNull(builder.CheckRequest());
    }

    [Fact]
    public void CheckRequest_ProtocolOnAnotherMethodOrRelativePath_IsMalformed()
    {
        Assert.NotNull(Build(true, (":method", "GET"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/")).CheckRequest());
        Assert.NotNull(Build(true, (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "chat"), (":authority", "a")).CheckRequest());
    }

    [Fact]
    public void CheckRequest_PlainConnect_StaysAsBefore()
    {
        var plain = Build(true, (":method", "CONNECT"), (":authority", "example.test:443"));

        Assert.Null(plain.CheckRequest());
        Assert.True(plain.IsConnect);
        Assert.False(plain.IsExtendedConnect);
    }

    [Fact]
    public void IsWebSocket_OtherProtocol_IsFalse_CaseIsIgnored()
    {
        var other = Build(true, [(":method", "CONNECT"), (":protocol", "connect-udp"), (":scheme", "https"), (":path", "/"), (":authority", "a")]);
        var upper = Build(true, [(":method", "CONNECT"), (":protocol", "WebSocket"), (":scheme", "https"), (":path", "/"), (":authority", "a")]);

        Assert.Null(other.CheckRequest());
        Assert.False(other.IsWebSocket);
        Assert.True(upper.IsWebSocket);
    }

    [Fact]
    public void WriteRequest_WebSocket_IsAnHttp11UpgradeWithAKeyOfOurOwn()
    {
        var builder = Build(true, [.. WebSocket,
            ("sec-websocket-version", "13"), ("sec-websocket-protocol", "chat.v1, chat.v2"),
            ("sec-websocket-extensions", "permessage-deflate"), ("origin", "https://example.test"),
            ("sec-websocket-key", "c2VudCBieSB0aGUgY2xpZW50IQ=="), ("cookie", "a=1"), ("cookie", "b=2")]);
        Assert.Null(builder.CheckRequest());

        var text = Text(builder);

        Assert.StartsWith("GET /chat?room=1 HTTP/1.1\r\nhost: example.test\r\n", text);
        Assert.Contains("\r\nsec-websocket-version: 13\r\n", text);
        Assert.Contains("\r\nsec-websocket-protocol: chat.v1, chat.v2\r\n", text);
        Assert.Contains("\r\nsec-websocket-extensions: permessage-deflate\r\n", text);
        Assert.Contains("\r\norigin: https://example.test\r\n", text);
        Assert.Contains("\r\ncookie: a=1; b=2\r\n", text);
        Assert.Contains("\r\nupgrade: websocket\r\nconnection: Upgrade\r\n", text);
        Assert.EndsWith("\r\n\r\n", text);
        // No body framing and no Connection: close: after the 101 the stream's DATA are the WebSocket's.
        Assert.DoesNotContain("content-length", text);
        Assert.DoesNotContain("transfer-encoding", text);
        Assert.DoesNotContain("close", text);
        // The client's key (RFC 8441 §5: not used over HTTP/2) is replaced by one of ours: 16 random bytes.
        var keys = text.Split("\r\n").Where(l => l.StartsWith("sec-websocket-key: ", StringComparison.Ordinal)).ToArray();
        var key = Assert.Single(keys)["sec-websocket-key: ".Length..];
        Assert.Equal(16, Convert.FromBase64String(key).Length);
        Assert.NotEqual("c2VudCBieSB0aGUgY2xpZW50IQ==", key);
        Assert.NotEqual(key, Text(builder).Split("\r\n").Single(l => l.StartsWith("sec-websocket-key: ", StringComparison.Ordinal))["sec-websocket-key: ".Length..]);
    }
}
