using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

/// <summary>
/// The parsed head a stream hands its exchange must be the one the HTTP/1.1 parser makes of the
/// text the same block is written as: same bytes, same ranges, same framing facts, same verdict.
/// </summary>
public class Http2RequestBuilderDirectHeadTests
{
    private static Http2RequestBuilder Build(params (string Name, string Value)[] fields)
    {
        var builder = new Http2RequestBuilder();
        builder.Begin(trailers: false);
        foreach (var (name, value) in fields)
        {
            builder.OnHeader(Encoding.Latin1.GetBytes(name), Encoding.Latin1.GetBytes(value));
        }
        Assert.Null(builder.CheckRequest());
        return builder;
    }

    private static (RequestHead Head, Http1Error Error) Parsed(Http2RequestBuilder builder, bool bodyFollows, bool chunked)
    {
        var text = new PooledByteBuffer();
        builder.WriteRequest(text, bodyFollows, chunked);
        var head = new RequestHead { Buffer = text.WrittenSpan.ToArray(), Length = text.Length };
        return (head, Http1Parser.ParseRequest(head, maxHeaders: 1000));
    }

    private static (RequestHead Head, Http1Error Error) Filled(Http2RequestBuilder builder, bool bodyFollows, bool chunked)
    {
        var head = new RequestHead();
        var array = default(HeadArray);
        var error = builder.FillHead(head, ref array, bodyFollows, chunked);
        return (head, error);
    }

    public static TheoryData<string[], bool, bool> Requests => new()
    {
        { ["GET", "https", "/a?b=1", "example.test", "cookie", "a=1", "accept", "*/*", "cookie", "b=2", "te", "trailers"], false, false },
        { ["GET", "http", "/", "", "host", "from-field.test:8080", "x-forwarded-for", "10.0.0.1"], false, false },
        { ["POST", "http", "/upload", "h.test", "content-length", "12", "content-type", "text/plain"], true, false },
        { ["POST", "http", "/stream", "h.test", "grpc-timeout", "5S", "content-type", "application/grpc"], true, true },
        { ["PUT", "http", "/e", "h.test", "expect", "100-continue"], true, true },
        { ["OPTIONS", "http", "*", "h.test"], false, false },
        { ["HEAD", "http", "/q?", "h.test", "via", "1.1 x", "x-forwarded-proto", "https"], false, false },
        { ["PURGE", "http", "/cache", "[::1]:443"], false, false },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void FillHead_AcceptedRequest_IsWhatTheParserMakesOfItsText(string[] request, bool bodyFollows, bool chunked)
    {
        var fields = new List<(string, string)> { (":method", request[0]), (":scheme", request[1]), (":path", request[2]) };
        if (request[3].Length > 0)
        {
            fields.Add((":authority", request[3]));
        }
        for (var i = 4; i < request.Length; i += 2)
        {
            fields.Add((request[i], request[i + 1]));
        }
        var builder = Build([.. fields]);

        var (expected, expectedError) = Parsed(builder, bodyFollows, chunked);
        var (actual, error) = Filled(builder, bodyFollows, chunked);

        Assert.Equal(Http1Error.None, expectedError);
        Assert.Equal(expectedError, error);
        AssertSameHead(expected, actual);
    }

    [Theory]
    [InlineData(":path", "/caf\u00e9")]
    [InlineData(":method", "GE(T")]
    [InlineData(":authority", "bad^host")]
    [InlineData("x-control", "a\u0001b")]
    [InlineData("x-del", "a\u007fb")]
    [InlineData("content_length", "5")]
    [InlineData("cookie", "a=\u0002")]
    public void FillHead_WhatTheParserRefuses_IsRefusedWithTheSameStatus(string name, string value)
    {
        var fields = new List<(string, string)> { (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "h.test") };
        var index = fields.FindIndex(f => f.Item1 == name);
        if (index >= 0)
        {
            fields[index] = (name, value);
        }
        else
        {
            fields.Add((name, value));
        }
        var builder = Build([.. fields]);

        var (_, expectedError) = Parsed(builder, false, false);
        var (_, error) = Filled(builder, false, false);

        Assert.NotEqual(Http1Error.None, expectedError);
        Assert.NotEqual(Http1Error.None, error);
        Assert.Equal(expectedError.ToStatusCode(), error.ToStatusCode());
    }

    [Fact]
    public void FillHead_NoAuthorityNorHost_IsRefusedAs400()
    {
        var builder = Build((":method", "GET"), (":scheme", "http"), (":path", "/"));

        var (_, error) = Filled(builder, false, false);

        Assert.Equal(Http1Error.InvalidHost, error);
        Assert.Equal(Parsed(builder, false, false).Error, error);
    }

    [Fact]
    public void FillHead_ReusedForAnotherBlock_KeepsNothingOfTheLast()
    {
        var builder = Build((":method", "POST"), (":scheme", "http"), (":path", "/first"), (":authority", "one.test"), ("content-length", "3"), ("cookie", "a=1"));
        var head = new RequestHead();
        var array = default(HeadArray);
        builder.FillHead(head, ref array, bodyFollows: true, chunked: false);

        builder.Begin(trailers: false);
        foreach (var (name, value) in new[] { (":method", "GET"), (":scheme", "http"), (":path", "/second"), (":authority", "two.test") })
        {
            builder.OnHeader(Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }
        Assert.Equal(Http1Error.None, builder.FillHead(head, ref array, bodyFollows: false, chunked: false));

        AssertSameHead(Parsed(builder, false, false).Head, head);
        Assert.Equal(-1, head.ContentLength);
        Assert.Equal("two.test", Encoding.ASCII.GetString(head.Host));
    }

    private static void AssertSameHead(RequestHead expected, RequestHead actual)
    {
        Assert.Equal(Encoding.Latin1.GetString(expected.Buffer, 0, expected.Length), Encoding.Latin1.GetString(actual.Buffer, 0, actual.Length));
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.ContentLength, actual.ContentLength);
        Assert.Equal(expected.IsChunked, actual.IsChunked);
        Assert.Equal(expected.KeepAlive, actual.KeepAlive);
        Assert.Equal(expected.Method, actual.Method);
        Assert.Equal((expected.MethodStart, expected.MethodLength), (actual.MethodStart, actual.MethodLength));
        Assert.Equal((expected.TargetStart, expected.TargetLength), (actual.TargetStart, actual.TargetLength));
        Assert.Equal((expected.PathStart, expected.PathLength), (actual.PathStart, actual.PathLength));
        Assert.Equal((expected.QueryStart, expected.QueryLength), (actual.QueryStart, actual.QueryLength));
        Assert.Equal((expected.AuthorityStart, expected.AuthorityLength), (actual.AuthorityStart, actual.AuthorityLength));
        Assert.Equal((expected.HostStart, expected.HostLength), (actual.HostStart, actual.HostLength));
        Assert.Equal(expected.ExpectContinue, actual.ExpectContinue);
        Assert.Equal(expected.IsUpgrade, actual.IsUpgrade);
        Assert.Equal(expected.HeaderCount, actual.HeaderCount);
        for (var i = 0; i < expected.HeaderCount; i++)
        {
            var e = expected.Headers[i];
            var a = actual.Headers[i];
            Assert.Equal((e.NameStart, e.NameLength, e.ValueStart, e.ValueLength, e.Known), (a.NameStart, a.NameLength, a.ValueStart, a.ValueLength, a.Known));
        }
    }
}
