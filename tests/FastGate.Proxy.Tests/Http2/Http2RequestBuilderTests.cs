using System.Text;
using FastGate.Core.Buffers;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

public class Http2RequestBuilderTests
{
    private static Http2RequestBuilder Build(bool trailers, params (string Name, string Value)[] fields)
    {
        var builder = new Http2RequestBuilder();
        builder.Begin(trailers);
        foreach (var (name, value) in fields)
        {
            builder.OnHeader(Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }
        return builder;
    }

    private static readonly (string, string)[] Get = [(":method", "GET"), (":scheme", "https"), (":path", "/a?b=1"), (":authority", "example.test")];

    private static string Text(Http2RequestBuilder builder, bool bodyFollows = false, bool chunked = false)
    {
        var output = new PooledByteBuffer();
        builder.WriteRequest(output, bodyFollows, chunked);
        return Encoding.ASCII.GetString(output.WrittenSpan);
    }

    [Fact]
    public void WriteRequest_Get_IsHttp11WithHostCookiesJoinedAndConnectionClose()
    {
        var builder = Build(false, [.. Get, ("cookie", "a=1"), ("accept", "*/*"), ("cookie", "b=2"), ("te", "trailers")]);

        Assert.Null(builder.CheckRequest());
        Assert.Equal(
            "GET /a?b=1 HTTP/1.1\r\nhost: example.test\r\naccept: */*\r\nte: trailers\r\ncookie: a=1; b=2\r\nconnection: close\r\n\r\n",
            Text(builder));
    }

    [Fact]
    public void WriteRequest_BodyWithoutLength_IsChunked_WithLength_KeepsIt()
    {
        var chunked = Build(false, [(":method", "POST"), (":scheme", "http"), (":path", "/"), (":authority", "h")]);
        var sized = Build(false, [(":method", "POST"), (":scheme", "http"), (":path", "/"), (":authority", "h"), ("content-length", "12")]);

        Assert.Contains("transfer-encoding: chunked\r\n", Text(chunked, bodyFollows: true, chunked: true));
        Assert.Equal(12, sized.ContentLength);
        Assert.Contains("content-length: 12\r\n", Text(sized, bodyFollows: true));
        Assert.DoesNotContain("transfer-encoding", Text(sized, bodyFollows: true));
    }

    [Theory]
    [InlineData("X-Upper", "v")]
    [InlineData("connection", "close")]
    [InlineData("keep-alive", "1")]
    [InlineData("proxy-connection", "x")]
    [InlineData("transfer-encoding", "chunked")]
    [InlineData("upgrade", "websocket")]
    [InlineData("te", "gzip")]
    [InlineData("x-bad", "a\r\nb")]
    [InlineData("x-bad", " edge")]
    [InlineData("host", "other.test")]
    [InlineData("content-length", "abc")]
    public void CheckRequest_MalformedField_IsRefused(string name, string value)
    {
        var builder = Build(false, [.. Get, (name, value)]);

        Assert.NotNull(builder.CheckRequest());
    }

    [Fact]
    public void CheckRequest_PseudoHeaderRules_AreEnforced()
    {
        // :authority is optional (a Host field may carry it instead).
        Assert.Null(Build(false, [(":method", "GET"), (":scheme", "http"), (":path", "/")]).CheckRequest());
        Assert.NotNull(Build(false, [(":method", "GET"), (":path", "/")]).CheckRequest());
        Assert.NotNull(Build(false, [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":path", "/again")]).CheckRequest());
        Assert.NotNull(Build(false, [(":method", "GET"), ("accept", "x"), (":scheme", "http"), (":path", "/")]).CheckRequest());
        Assert.NotNull(Build(false, [.. Get, (":status", "200")]).CheckRequest());
        Assert.NotNull(Build(false, [(":method", "GET"), (":scheme", "http"), (":path", "")]).CheckRequest());
        Assert.NotNull(Build(false, [(":method", "GET"), (":scheme", "http"), (":path", "relative")]).CheckRequest());
        Assert.Null(Build(false, [(":method", "OPTIONS"), (":scheme", "http"), (":path", "*")]).CheckRequest());
        Assert.NotNull(Build(false, [.. Get, (":protocol", "websocket")]).CheckRequest());
    }

    [Fact]
    public void CheckRequest_Connect_NeedsAuthorityOnly()
    {
        var connect = Build(false, [(":method", "CONNECT"), (":authority", "example.test:443")]);

        Assert.Null(connect.CheckRequest());
        Assert.True(connect.IsConnect);
        Assert.NotNull(Build(false, [(":method", "CONNECT"), (":authority", "a:1"), (":path", "/")]).CheckRequest());
    }

    [Fact]
    public void WriteTrailers_Fields_AreAChunkedTrailerSection()
    {
        var builder = Build(true, ("grpc-status", "0"), ("x-sum", "abc"));
        var output = new PooledByteBuffer();

        builder.WriteTrailers(output);

        Assert.Null(builder.Malformed);
        Assert.Equal("0\r\ngrpc-status: 0\r\nx-sum: abc\r\n\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.NotNull(Build(true, (":path", "/")).Malformed);
    }
}
