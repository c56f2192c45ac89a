using System.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

public class Http1ParserTests
{
    private const string BrowserRequest =
        "GET /search/results?q=fast+gate&page=2 HTTP/1.1\r\n" +
        "Host: www.example.com:8080\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
        "Accept-Language: en-US,en;q=0.5\r\n" +
        "Accept-Encoding: gzip, deflate, br\r\n" +
        "Connection: keep-alive\r\n" +
        "Cookie: session=abc123; theme=dark\r\n" +
        "Upgrade-Insecure-Requests: 1\r\n" +
        "\r\n";

    [Fact]
    public void ParseRequest_BrowserHead_FillsAllRanges()
    {
        Assert.Equal(Http1Error.None, ParseRequest(Bytes(BrowserRequest), out var head, out int headLength));
        Assert.Equal(BrowserRequest.Length, headLength);
        Assert.Equal(RequestMethod.Get, head.Method);
        Assert.Equal("GET", Text(head.MethodBytes));
        Assert.Equal("/search/results?q=fast+gate&page=2", Text(head.Target));
        Assert.Equal("/search/results", Text(head.Path));
        Assert.Equal("?q=fast+gate&page=2", Text(head.Query));
        Assert.Equal("www.example.com:8080", Text(head.Host));
        Assert.Equal(0, head.AuthorityLength);
        Assert.Equal(ProtocolVersion.Http11, head.Version);
        Assert.Equal(8, head.HeaderCount);
        Assert.True(head.KeepAlive);
        Assert.False(head.IsChunked);
        Assert.Equal(-1, head.ContentLength);
        Assert.Equal(KnownHeader.Host, head.Headers[0].Known);
        Assert.Equal(KnownHeader.Connection, head.Headers[5].Known);
        Assert.Equal("Cookie", Text(head.Name(head.Headers[6])));
        Assert.Equal("session=abc123; theme=dark", Text(head.Value(head.Headers[6])));
        Assert.Equal(KnownHeader.Other, head.Headers[7].Known);
    }

    [Theory]
    [InlineData("GET", RequestMethod.Get)]
    [InlineData("HEAD", RequestMethod.Head)]
    [InlineData("POST", RequestMethod.Post)]
    [InlineData("PUT", RequestMethod.Put)]
    [InlineData("DELETE", RequestMethod.Delete)]
    [InlineData("OPTIONS", RequestMethod.Options)]
    [InlineData("PATCH", RequestMethod.Patch)]
    [InlineData("TRACE", RequestMethod.Trace)]
    [InlineData("PROPFIND", RequestMethod.Custom)]
    [InlineData("get", RequestMethod.Custom)]
    [InlineData("M-SEARCH", RequestMethod.Custom)]
    public void ParseRequest_Method_MapsWithoutString(string method, RequestMethod expected)
    {
        Assert.Equal(Http1Error.None, ParseRequest($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n", out var head));
        Assert.Equal(expected, head.Method);
        Assert.Equal(method, Text(head.MethodBytes));
    }

    [Fact]
    public void ParseRequest_Connect_MethodNotAllowed()
    {
        Assert.Equal(Http1Error.MethodNotAllowed, ParseRequest("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
        Assert.Equal(405, Http1Error.MethodNotAllowed.ToStatusCode());
    }

    [Theory]
    [InlineData("http://example.com/a/b?x=1", "example.com", "/a/b", "?x=1")]
    [InlineData("https://example.com:8443/a", "example.com:8443", "/a", "")]
    [InlineData("HTTP://[::1]:80/", "[::1]:80", "/", "")]
    [InlineData("http://example.com", "example.com", "", "")]
    [InlineData("http://example.com?x", "example.com", "", "?x")]
    public void ParseRequest_AbsoluteForm_AuthorityWinsOverHost(string target, string authority, string path, string query)
    {
        Assert.Equal(Http1Error.None, ParseRequest($"GET {target} HTTP/1.1\r\nHost: other.test\r\n\r\n", out var head));
        Assert.Equal(target, Text(head.Target));
        Assert.Equal(authority, Text(head.Buffer.AsSpan(head.AuthorityStart, head.AuthorityLength)));
        Assert.Equal(authority, Text(head.Host));
        Assert.Equal(path, Text(head.Path));
        Assert.Equal(query, Text(head.Query));
    }

    [Theory]
    [InlineData("ftp://example.com/")]
    [InlineData("http://user@example.com/")]
    [InlineData("http:///path")]
    [InlineData("example.com/path")]
    [InlineData("http://exa mple.com/")]
    public void ParseRequest_BadAbsoluteForm_InvalidRequestLine(string target)
    {
        Assert.Equal(Http1Error.InvalidRequestLine, ParseRequest($"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n"));
    }

    [Fact]
    public void ParseRequest_AsteriskForm_OnlyForOptions()
    {
        Assert.Equal(Http1Error.None, ParseRequest("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", out var head));
        Assert.Equal("*", Text(head.Path));
        Assert.Equal(Http1Error.InvalidRequestLine, ParseRequest("GET * HTTP/1.1\r\nHost: a\r\n\r\n"));
    }

    [Theory]
    [InlineData("GET  / HTTP/1.1")]
    [InlineData("GET /  HTTP/1.1")]
    [InlineData("GET / HTTP/1.1 ")]
    [InlineData(" GET / HTTP/1.1")]
    [InlineData("GET\t/ HTTP/1.1")]
    [InlineData("GET /")]
    [InlineData("GET / http/1.1")]
    [InlineData("GET / HTTP/1")]
    [InlineData("GET / HTTP/1.1.1")]
    [InlineData("G(T / HTTP/1.1")]
    [InlineData("GET /a#frag HTTP/1.1")]
    [InlineData("GET /a\x7f HTTP/1.1")]
    [InlineData("GET /a\x01 HTTP/1.1")]
    [InlineData("GET /\xe9 HTTP/1.1")]
    [InlineData("GET /a\tb HTTP/1.1")]
    public void ParseRequest_MalformedRequestLine_InvalidRequestLine(string line)
    {
        Assert.Equal(Http1Error.InvalidRequestLine, ParseRequest(line + "\r\nHost: a\r\n\r\n"));
    }

    [Theory]
    [InlineData("HTTP/2.0")]
    [InlineData("HTTP/1.2")]
    [InlineData("HTTP/0.9")]
    [InlineData("HTTP/9.9")]
    public void ParseRequest_OtherVersion_UnsupportedVersion(string version)
    {
        Assert.Equal(Http1Error.UnsupportedVersion, ParseRequest($"GET / {version}\r\nHost: a\r\n\r\n"));
        Assert.Equal(505, Http1Error.UnsupportedVersion.ToStatusCode());
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX\r: b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\rX: b\r\n\r\n")]
    [InlineData("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    public void ParseRequest_BareLineEnding_Rejected(string input)
    {
        Assert.Equal(Http1Error.BareLineEnding, ParseRequest(input));
    }

    [Fact]
    public void TryFindHeadEnd_LfOnlyHead_FailsOnFirstLine()
    {
        // Without the early check this input would wait for the size limit.
        byte[] input = Bytes("GET / HTTP/1.1\nHost: a\n");
        Assert.False(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(input), MaxHead, MaxStartLine, out _, out var error));
        Assert.Equal(Http1Error.BareLineEnding, error);
        Assert.False(Http1Parser.TryFindHeadEnd(Split(input, 14), MaxHead, MaxStartLine, out _, out error));
        Assert.Equal(Http1Error.BareLineEnding, error);
    }

    [Fact]
    public void TryFindHeadEnd_LeadingEmptyLines_SkippedAndCounted()
    {
        const string input = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        Assert.Equal(Http1Error.None, ParseRequest(Bytes(input), out var head, out int headLength));
        Assert.Equal(input.Length, headLength);
        Assert.Equal("/", Text(head.Path));
    }

    [Fact]
    public void TryFindHeadEnd_HeadOverLimit_HeadTooLarge()
    {
        byte[] input = Bytes("GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('a', 200) + "\r\n\r\n");
        Assert.False(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(input), 100, 50, out _, out var error));
        Assert.Equal(Http1Error.HeadTooLarge, error);
        Assert.False(Http1Parser.TryFindHeadEnd(Split(input, 30, 60), 100, 50, out _, out error));
        Assert.Equal(Http1Error.HeadTooLarge, error);
        // The complete head over the limit is refused too, not only an unfinished one.
        Assert.False(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(input), input.Length - 1, 50, out _, out error));
        Assert.Equal(Http1Error.HeadTooLarge, error);
        Assert.True(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(input), input.Length, 50, out int length, out error));
        Assert.Equal(input.Length, length);
        Assert.Equal(431, Http1Error.HeadTooLarge.ToStatusCode());
    }

    [Fact]
    public void TryFindHeadEnd_StartLineOverLimit_RequestLineTooLong()
    {
        byte[] complete = Bytes("GET /" + new string('a', 100) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.False(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(complete), 1000, 50, out _, out var error));
        Assert.Equal(Http1Error.RequestLineTooLong, error);
        byte[] partial = Bytes("GET /" + new string('a', 100));
        Assert.False(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(partial), 1000, 50, out _, out error));
        Assert.Equal(Http1Error.RequestLineTooLong, error);
        Assert.False(Http1Parser.TryFindHeadEnd(Split(partial, 10, 20), 1000, 50, out _, out error));
        Assert.Equal(Http1Error.RequestLineTooLong, error);
        Assert.Equal(414, Http1Error.RequestLineTooLong.ToStatusCode());
    }

    [Fact]
    public void TryFindHeadEnd_EveryPrefix_IncompleteWithoutError()
    {
        byte[] input = Bytes(BrowserRequest);
        for (int n = 0; n < input.Length; n++)
        {
            Assert.False(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(input, 0, n), MaxHead, MaxStartLine, out int length, out var error));
            Assert.Equal(Http1Error.None, error);
            Assert.Equal(0, length);
        }
    }

    [Fact]
    public void TryFindHeadEnd_SplitAtEveryByte_SameHeadLength()
    {
        byte[] input = Bytes(BrowserRequest + "POST / HTTP/1.1\r\n");
        for (int a = 1; a < input.Length; a++)
        {
            Assert.True(Http1Parser.TryFindHeadEnd(Split(input, a), MaxHead, MaxStartLine, out int length, out var error), $"split at {a}");
            Assert.Equal(BrowserRequest.Length, length);
            Assert.Equal(Http1Error.None, error);
        }
        for (int a = 1; a < input.Length - 1; a += 7)
        {
            for (int b = a + 1; b < input.Length; b += 3)
            {
                Assert.True(Http1Parser.TryFindHeadEnd(Split(input, a, b), MaxHead, MaxStartLine, out int length, out _));
                Assert.Equal(BrowserRequest.Length, length);
            }
        }
    }

    [Fact]
    public void TryFindHeadEnd_CrLfSplitAcrossSegments_Found()
    {
        byte[] input = Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.True(Http1Parser.TryFindHeadEnd(Sequence(input[..25], input[25..26], input[26..27], input[27..]), MaxHead, MaxStartLine, out int length, out _));
        Assert.Equal(input.Length, length);
        Assert.True(Http1Parser.TryFindHeadEnd(Sequence([], input, []), MaxHead, MaxStartLine, out length, out _));
        Assert.Equal(input.Length, length);
    }

    [Theory]
    [InlineData("X : a", Http1Error.InvalidHeader)]
    [InlineData("X\t: a", Http1Error.InvalidHeader)]
    [InlineData(": a", Http1Error.InvalidHeader)]
    [InlineData("X a", Http1Error.InvalidHeader)]
    [InlineData("Xa", Http1Error.InvalidHeader)]
    [InlineData("X(y): a", Http1Error.InvalidHeader)]
    [InlineData("X\x01: a", Http1Error.InvalidHeader)]
    [InlineData("Transfer_Encoding: chunked", Http1Error.InvalidHeader)]
    [InlineData("content__length: 5", Http1Error.InvalidHeader)]
    [InlineData("Transfer---Encoding: chunked", Http1Error.InvalidHeader)]
    [InlineData("X: a\u0000b", Http1Error.InvalidHeaderValue)]
    [InlineData("X: a\x01", Http1Error.InvalidHeaderValue)]
    [InlineData("X: \u000bchunked", Http1Error.InvalidHeaderValue)]
    [InlineData("X: a\x7f", Http1Error.InvalidHeaderValue)]
    public void ParseRequest_BadHeaderLine_SpecificError(string line, Http1Error expected)
    {
        Assert.Equal(expected, ParseRequest($"GET / HTTP/1.1\r\nHost: a\r\n{line}\r\n\r\n"));
    }

    [Fact]
    public void ParseRequest_ObsFold_Rejected()
    {
        Assert.Equal(Http1Error.ObsFold, ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"));
        Assert.Equal(Http1Error.ObsFold, ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n"));
        Assert.Equal(Http1Error.ObsFold, ParseRequest("GET / HTTP/1.1\r\n Host: a\r\n\r\n"));
    }

    [Fact]
    public void ParseRequest_ValueWithObsTextAndTabs_TrimmedAndAccepted()
    {
        Assert.Equal(Http1Error.None, ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nX-Name: \t caf\xe9\tau lait \t\r\nEmpty:\r\n\r\n", out var head));
        Assert.Equal("caf\xe9\tau lait", Text(head.Value(head.Headers[1])));
        Assert.Equal(0, head.Headers[2].ValueLength);
    }

    [Fact]
    public void ParseRequest_TooManyHeaders_Rejected()
    {
        byte[] input = Bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
        Assert.Equal(Http1Error.None, ParseRequest(input, out var head, out _, maxHeaders: 4));
        Assert.Equal(4, head.HeaderCount);
        Assert.Equal(Http1Error.TooManyHeaders, ParseRequest(input, out _, out _, maxHeaders: 3));
        Assert.Equal(431, Http1Error.TooManyHeaders.ToStatusCode());
    }

    [Fact]
    public void ParseRequest_ManyHeaders_ArrayGrows()
    {
        var text = "GET / HTTP/1.1\r\nHost: a\r\n";
        for (int i = 0; i < 40; i++) text += $"X-H{i}: {i}\r\n";
        Assert.Equal(Http1Error.None, ParseRequest(text + "\r\n", out var head));
        Assert.Equal(41, head.HeaderCount);
        Assert.Equal("39", Text(head.Value(head.Headers[40])));
    }

    [Theory]
    [InlineData("host", KnownHeader.Host)]
    [InlineData("CONTENT-length", KnownHeader.ContentLength)]
    [InlineData("Transfer-Encoding", KnownHeader.TransferEncoding)]
    [InlineData("connection", KnownHeader.Connection)]
    [InlineData("Keep-Alive", KnownHeader.KeepAlive)]
    [InlineData("Proxy-Connection", KnownHeader.ProxyConnection)]
    [InlineData("TE", KnownHeader.Te)]
    [InlineData("Trailer", KnownHeader.Trailer)]
    [InlineData("Upgrade", KnownHeader.Upgrade)]
    [InlineData("Expect", KnownHeader.Expect)]
    [InlineData("X-Forwarded-For", KnownHeader.XForwardedFor)]
    [InlineData("x-forwarded-proto", KnownHeader.XForwardedProto)]
    [InlineData("X-Forwarded-Host", KnownHeader.XForwardedHost)]
    [InlineData("Via", KnownHeader.Via)]
    [InlineData("Proxy-Authorization", KnownHeader.ProxyAuthorization)]
    [InlineData("Proxy-Authenticate", KnownHeader.ProxyAuthenticate)]
    [InlineData("Hosts", KnownHeader.Other)]
    [InlineData("X-Forwarded-Fox", KnownHeader.Other)]
    public void Lookup_HeaderName_CaseInsensitive(string name, KnownHeader expected)
    {
        Assert.Equal(expected, KnownHeaders.Lookup(Bytes(name)));
    }

    [Theory]
    [InlineData("Content-Length: 0\r\n", 0L)]
    [InlineData("Content-Length: 42\r\n", 42L)]
    [InlineData("Content-Length:42 \r\n", 42L)]
    [InlineData("Content-Length: 9223372036854775807\r\n", long.MaxValue)]
    [InlineData("Content-Length: 007\r\n", 7L)]
    [InlineData("Content-Length: 5\r\ncontent-length: 5\r\n", 5L)]
    public void ParseRequest_ContentLength_Parsed(string headers, long expected)
    {
        Assert.Equal(Http1Error.None, ParseRequest($"POST / HTTP/1.1\r\nHost: a\r\n{headers}\r\n", out var head));
        Assert.Equal(expected, head.ContentLength);
        Assert.False(head.IsChunked);
    }

    [Theory]
    [InlineData("Content-Length: \r\n")]
    [InlineData("Content-Length: -1\r\n")]
    [InlineData("Content-Length: +1\r\n")]
    [InlineData("Content-Length: 1 2\r\n")]
    [InlineData("Content-Length: 1,1\r\n")]
    [InlineData("Content-Length: 1, 2\r\n")]
    [InlineData("Content-Length: 0x10\r\n")]
    [InlineData("Content-Length: 1.0\r\n")]
    [InlineData("Content-Length: 9223372036854775808\r\n")]
    [InlineData("Content-Length: 99999999999999999999999\r\n")]
    [InlineData("Content-Length: 5\r\nContent-Length: 6\r\n")]
    public void ParseRequest_BadContentLength_InvalidContentLength(string headers)
    {
        Assert.Equal(Http1Error.InvalidContentLength, ParseRequest($"POST / HTTP/1.1\r\nHost: a\r\n{headers}\r\n"));
    }

    [Theory]
    [InlineData("chunked")]
    [InlineData("Chunked")]
    [InlineData("CHUNKED")]
    [InlineData("  chunked\t")]
    public void ParseRequest_TransferEncodingChunked_IsChunked(string value)
    {
        Assert.Equal(Http1Error.None, ParseRequest($"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {value}\r\n\r\n", out var head));
        Assert.True(head.IsChunked);
        Assert.Equal(-1, head.ContentLength);
    }

    [Theory]
    [InlineData("Transfer-Encoding: gzip\r\n")]
    [InlineData("Transfer-Encoding: gzip, chunked\r\n")]
    [InlineData("Transfer-Encoding: chunked, chunked\r\n")]
    [InlineData("Transfer-Encoding: chunked, gzip\r\n")]
    [InlineData("Transfer-Encoding: xchunked\r\n")]
    [InlineData("Transfer-Encoding: chunkedx\r\n")]
    [InlineData("Transfer-Encoding: chunked;a=b\r\n")]
    [InlineData("Transfer-Encoding: \"chunked\"\r\n")]
    [InlineData("Transfer-Encoding: \r\n")]
    [InlineData("Transfer-Encoding: identity\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")]
    [InlineData("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")]
    [InlineData("Transfer-Encoding: \r\nTransfer-Encoding: chunked\r\n")]
    public void ParseRequest_NonCanonicalTransferEncoding_InvalidTransferEncoding(string headers)
    {
        Assert.Equal(Http1Error.InvalidTransferEncoding, ParseRequest($"POST / HTTP/1.1\r\nHost: a\r\n{headers}\r\n"));
    }

    [Fact]
    public void ParseRequest_TransferEncodingInHttp10_InvalidTransferEncoding()
    {
        Assert.Equal(Http1Error.InvalidTransferEncoding, ParseRequest("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"));
    }

    [Fact]
    public void ParseRequest_ContentLengthAndTransferEncoding_Rejected()
    {
        Assert.Equal(Http1Error.ContentLengthWithTransferEncoding, ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"));
        Assert.Equal(Http1Error.ContentLengthWithTransferEncoding, ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://a.test/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: \r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")]
    public void ParseRequest_BadOrMissingHost_InvalidHost(string input)
    {
        Assert.Equal(Http1Error.InvalidHost, ParseRequest(input));
    }

    [Theory]
    [InlineData("a.example.com")]
    [InlineData("127.0.0.1:8080")]
    [InlineData("[2001:db8::1]:443")]
    [InlineData("xn--caf-dma.test")]
    [InlineData("a:")]
    public void ParseRequest_ValidHost_Accepted(string host)
    {
        Assert.Equal(Http1Error.None, ParseRequest($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n", out var head));
        Assert.Equal(host, Text(head.Host));
    }

    [Fact]
    public void ParseRequest_Http10WithoutHost_Accepted()
    {
        Assert.Equal(Http1Error.None, ParseRequest("GET /x HTTP/1.0\r\n\r\n", out var head));
        Assert.Equal(ProtocolVersion.Http10, head.Version);
        Assert.Equal(0, head.HostLength);
        Assert.False(head.KeepAlive);
    }

    [Theory]
    [InlineData("HTTP/1.1", "", true)]
    [InlineData("HTTP/1.1", "Connection: close\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: Keep-Alive, CLOSE\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: keep-alive\r\n", true)]
    [InlineData("HTTP/1.1", "Connection: closed\r\n", true)]
    [InlineData("HTTP/1.0", "", false)]
    [InlineData("HTTP/1.0", "Connection: keep-alive\r\n", true)]
    [InlineData("HTTP/1.0", "Connection: foo ,  Keep-Alive\r\n", true)]
    [InlineData("HTTP/1.0", "Connection: keep-alive\r\nConnection: close\r\n", false)]
    public void ParseRequest_ConnectionTokens_KeepAlive(string version, string headers, bool keepAlive)
    {
        Assert.Equal(Http1Error.None, ParseRequest($"GET / {version}\r\nHost: a\r\n{headers}\r\n", out var head));
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Fact]
    public void ParseRequest_ExpectAndUpgrade_Flags()
    {
        Assert.Equal(Http1Error.None, ParseRequest("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", out var head));
        Assert.True(head.ExpectContinue);
        Assert.Equal(Http1Error.None, ParseRequest("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n", out head));
        Assert.True(head.IsUpgrade);
        Assert.False(head.ExpectContinue);
        Assert.Equal(Http1Error.None, ParseRequest("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", out head));
        Assert.False(head.IsUpgrade);
    }

    [Fact]
    public void ParseRequest_ReusedHead_ClearsPreviousState()
    {
        Assert.Equal(Http1Error.None, ParseRequest(Bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"), out var head, out _));
        byte[] second = Bytes("GET /b HTTP/1.1\r\nHost: b\r\n\r\n");
        head.Buffer = second;
        head.Length = second.Length;
        Assert.Equal(Http1Error.None, Http1Parser.ParseRequest(head, MaxHeaders));
        Assert.False(head.IsChunked);
        Assert.False(head.ExpectContinue);
        Assert.Equal(1, head.HeaderCount);
        Assert.Equal("/b", Text(head.Path));
    }

    [Fact]
    public void ParseResponse_Typical_Parsed()
    {
        Assert.Equal(Http1Error.None, ParseResponse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n", out var head));
        Assert.Equal(200, head.StatusCode);
        Assert.Equal("OK", Text(head.Reason));
        Assert.Equal(12, head.ContentLength);
        Assert.True(head.KeepAlive);
        Assert.Equal(2, head.HeaderCount);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 \r\n\r\n", 204, "")]
    [InlineData("HTTP/1.1 204\r\n\r\n", 204, "")]
    [InlineData("HTTP/1.0 404 Not Found Here\r\n\r\n", 404, "Not Found Here")]
    [InlineData("HTTP/1.1 599 caf\xe9\r\n\r\n", 599, "caf\xe9")]
    public void ParseResponse_StatusLine_Parsed(string input, int status, string reason)
    {
        Assert.Equal(Http1Error.None, ParseResponse(input, out var head));
        Assert.Equal(status, head.StatusCode);
        Assert.Equal(reason, Text(head.Reason));
    }

    [Theory]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1  200 OK\r\n\r\n")]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 abc OK\r\n\r\n")]
    [InlineData("ICY 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 O\x01K\r\n\r\n")]
    public void ParseResponse_MalformedStatusLine_InvalidStatusLine(string input)
    {
        Assert.Equal(Http1Error.InvalidStatusLine, ParseResponse(input, out _));
        Assert.Equal(502, Http1Error.InvalidStatusLine.ToStatusCode());
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 10\r\n", true, -1L, true)]
    [InlineData("Transfer-Encoding: gzip, chunked\r\n", true, -1L, true)]
    [InlineData("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", true, -1L, true)]
    [InlineData("Transfer-Encoding: chunked, gzip\r\n", false, -1L, false)]
    [InlineData("Transfer-Encoding: gzip\r\nContent-Length: 10\r\n", false, -1L, false)]
    [InlineData("Content-Length: 10\r\nContent-Length: 10\r\n", false, 10L, true)]
    [InlineData("Connection: close\r\nContent-Length: 1\r\n", false, 1L, false)]
    public void ParseResponse_Framing_FollowsRfc9112Section6_3(string headers, bool chunked, long contentLength, bool keepAlive)
    {
        Assert.Equal(Http1Error.None, ParseResponse($"HTTP/1.1 200 OK\r\n{headers}\r\n", out var head));
        Assert.Equal(chunked, head.IsChunked);
        Assert.Equal(contentLength, head.ContentLength);
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Theory]
    [InlineData("Content-Length: 10\r\nContent-Length: 11\r\n")]
    [InlineData("Content-Length: 1a\r\n")]
    public void ParseResponse_BadContentLength_InvalidContentLength(string headers)
    {
        Assert.Equal(Http1Error.InvalidContentLength, ParseResponse($"HTTP/1.1 200 OK\r\n{headers}\r\n", out _));
    }

    [Fact]
    public void ParseResponse_Http10KeepAlive_FromConnection()
    {
        Assert.Equal(Http1Error.None, ParseResponse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", out var head));
        Assert.True(head.KeepAlive);
        Assert.Equal(Http1Error.None, ParseResponse("HTTP/1.0 200 OK\r\n\r\n", out head));
        Assert.False(head.KeepAlive);
    }

    [Fact]
    public void ToStatusCode_Remaining_Are400()
    {
        foreach (Http1Error error in Enum.GetValues<Http1Error>())
        {
            int expected = error switch
            {
                Http1Error.None => 200,
                Http1Error.RequestLineTooLong => 414,
                Http1Error.HeadTooLarge or Http1Error.TooManyHeaders => 431,
                Http1Error.MethodNotAllowed => 405,
                Http1Error.UnsupportedVersion => 505,
                Http1Error.InvalidStatusLine => 502,
                _ => 400,
            };
            Assert.Equal(expected, error.ToStatusCode());
        }
    }
}
