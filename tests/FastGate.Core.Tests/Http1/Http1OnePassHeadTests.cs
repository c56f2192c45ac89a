using System.Buffers;
using System.Text;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

/// <summary>
/// The one-pass head parse (<see cref="Http1Parser.TryParseRequestHead"/>, <see cref="Http1Parser.TryParseResponseHead"/>)
/// against the two-step path it short-cuts (find the end, then parse the copy): on every input and every prefix of it
/// (the first read cut at every byte), the one pass accepts exactly what the two steps accept, with the same head length
/// and the same parsed fields. Anything it declines goes to the two steps, so agreeing on acceptance is all it must do.
/// </summary>
public class Http1OnePassHeadTests
{
    private const string Request =
        "GET /api/items?page=3 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: wrk\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n";

    private const string Response =
        "HTTP/1.1 200 OK\r\nDate: Tue, 01 Jul 2025 10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n";

    /// <summary>Heads the two steps reject or accept for many different reasons, each also followed by bytes that are not part of it.</summary>
    private static readonly string[] RequestHeads =
    [
        Request,
        "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\n",
        "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n",
        "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
        "\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET http://a.example/x?y HTTP/1.1\r\nHost: b\r\n\r\n",
        "GET https://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "GET ftp://a.example/ HTTP/1.1\r\nHost: a\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        "G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Bin: a\u007fb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\xe9\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Ows: \t v \t\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n: no-name\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nno-colon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n",
    ];

    private static readonly string[] ResponseHeads =
    [
        Response + "hello",
        "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 9\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer_Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        "HTTP/1.1 200 O\rK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
        "\r\nHTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n",
    ];

    public static TheoryData<int> RequestHeadIndexes() => Indexes(RequestHeads.Length);

    public static TheoryData<int> ResponseHeadIndexes() => Indexes(ResponseHeads.Length);

    private static TheoryData<int> Indexes(int count)
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < count; i++)
        {
            data.Add(i);
        }
        return data;
    }

    [Fact]
    public void TryParseRequestHead_WholeHeadWithBodyAfter_ParsesAndStopsAtTheEmptyLine()
    {
        byte[] input = Bytes("POST /up?x=1 HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhello");
        var head = new RequestHead();

        Assert.True(Http1Parser.TryParseRequestHead(input, head, MaxHead, MaxStartLine, MaxHeaders, out int headLength));

        Assert.Equal(input.Length - 5, headLength);
        Assert.Equal(RequestMethod.Post, head.Method);
        Assert.Equal("/up", Text(input.AsSpan(head.PathStart, head.PathLength)));
        Assert.Equal("a.example", Text(input.AsSpan(head.HostStart, head.HostLength)));
        Assert.Equal(5, head.ContentLength);
        Assert.Equal(2, head.HeaderCount);
    }

    [Fact]
    public void TryParseRequestHead_HeadMissingItsLastByte_Declines()
    {
        byte[] input = Bytes(Request);
        Assert.False(Http1Parser.TryParseRequestHead(input.AsSpan(0, input.Length - 1), new RequestHead(), MaxHead, MaxStartLine, MaxHeaders, out _));
    }

    [Fact]
    public void TryParseRequestHead_HeadOverTheLimit_DeclinesEvenWhenWhole()
    {
        byte[] input = Bytes(Request);
        Assert.False(Http1Parser.TryParseRequestHead(input, new RequestHead(), input.Length - 1, MaxStartLine, MaxHeaders, out _));
        Assert.True(Http1Parser.TryParseRequestHead(input, new RequestHead(), input.Length, MaxStartLine, MaxHeaders, out _));
    }

    [Fact]
    public void TryParseRequestHead_RequestLineOverTheLimit_Declines()
    {
        byte[] input = Bytes(Request);
        int lineLength = Request.IndexOf('\r');
        Assert.False(Http1Parser.TryParseRequestHead(input, new RequestHead(), MaxHead, lineLength - 1, MaxHeaders, out _));
        Assert.True(Http1Parser.TryParseRequestHead(input, new RequestHead(), MaxHead, lineLength, MaxHeaders, out _));
    }

    [Fact]
    public void TryParseRequestHead_OneHeaderTooMany_Declines()
    {
        Assert.False(Http1Parser.TryParseRequestHead(Bytes(Request), new RequestHead(), MaxHead, MaxStartLine, 3, out _));
    }

    [Fact]
    public void TryParseResponseHead_WholeHeadWithBodyAfter_ParsesAndStopsAtTheEmptyLine()
    {
        byte[] input = Bytes(Response + "hello");
        var head = new ResponseHead();

        Assert.True(Http1Parser.TryParseResponseHead(input, head, MaxHead, MaxHeaders, out int headLength));

        Assert.Equal(Response.Length, headLength);
        Assert.Equal(200, head.StatusCode);
        Assert.Equal(5, head.ContentLength);
        Assert.Equal(3, head.HeaderCount);
    }

    [Theory]
    [MemberData(nameof(RequestHeadIndexes))]
    public void TryParseRequestHead_EveryPrefix_AgreesWithFindThenParse(int index)
    {
        byte[] input = Bytes(RequestHeads[index]);
        AssertRequestAgreementOnEveryPrefix(input, MaxHead, MaxStartLine, MaxHeaders);
        // Limits at the size of the head itself, so both sides of each limit are met.
        AssertRequestAgreementOnEveryPrefix(input, 40, 16, 2);
    }

    [Theory]
    [MemberData(nameof(ResponseHeadIndexes))]
    public void TryParseResponseHead_EveryPrefix_AgreesWithFindThenParse(int index)
    {
        byte[] input = Bytes(ResponseHeads[index]);
        AssertResponseAgreementOnEveryPrefix(input, MaxHead, MaxHeaders);
        AssertResponseAgreementOnEveryPrefix(input, 30, 1);
    }

    [Fact]
    public void TryParseRequestHead_CorpusInputsAndEveryPrefix_AgreeWithFindThenParse()
    {
        int accepted = 0;
        foreach (byte[] input in CorpusRequests())
        {
            accepted += AssertRequestAgreementOnEveryPrefix(input, MaxHead, MaxStartLine, MaxHeaders) ? 1 : 0;
        }
        // The corpus holds both kinds: the test must have seen heads accepted as well as declined.
        Assert.InRange(accepted, 60, int.MaxValue);
    }

    /// <summary>Inputs of the llhttp, http-desync-guardian and smuggler corpora, as the corpus tests send them.</summary>
    private static IEnumerable<byte[]> CorpusRequests()
    {
        foreach (var c in Http1Corpus.ReadCases<LlhttpCorpusTests.Case>("llhttp-requests.jsonl"))
        {
            byte[] bytes = c.Bytes;
            yield return bytes;
            // Most llhttp inputs have no Host, which we reject before anything else could differ: also with one.
            int lineEnd = bytes.AsSpan().IndexOf("\r\n"u8);
            if (lineEnd >= 0)
            {
                yield return [.. bytes.AsSpan(0, lineEnd + 2), .. "Host: corpus.test\r\n"u8, .. bytes.AsSpan(lineEnd + 2)];
            }
        }
        foreach (var c in Http1Corpus.ReadCases<DesyncCorpusTests.GuardianCase>("http-desync-guardian.jsonl"))
        {
            yield return c.Build(Encoding.UTF8);
            yield return c.Build(Encoding.Latin1);
        }
        foreach (var g in Http1Corpus.ReadCases<DesyncCorpusTests.SmugglerGadget>("smuggler-te-gadgets.jsonl"))
        {
            yield return Encoding.Latin1.GetBytes("POST /path HTTP/1.1\r\n" + g.Gadget + "\r\nHost: smuggler.test\r\nContent-Length: 11\r\n\r\n1\r\nZ\r\n0\r\n\r\n");
        }
    }

    /// <summary>Returns whether the whole input's head was accepted.</summary>
    private static bool AssertRequestAgreementOnEveryPrefix(byte[] input, int maxHead, int maxStartLine, int maxHeaders)
    {
        bool accepted = false;
        for (int length = 0; length <= input.Length; length++)
        {
            var onePass = new RequestHead();
            bool took = Http1Parser.TryParseRequestHead(input.AsSpan(0, length), onePass, maxHead, maxStartLine, maxHeaders, out int onePassLength);

            var state = default(Http1HeadScanState);
            var twoStep = new RequestHead();
            bool found = Http1Parser.TryFindRequestHeadEnd(new ReadOnlySequence<byte>(input, 0, length), ref state, maxHead, maxStartLine, out int headLength, out _);
            bool parsed = false;
            if (found)
            {
                twoStep.Buffer = input[..headLength];
                twoStep.Length = headLength;
                parsed = Http1Parser.ParseRequest(twoStep, maxHeaders) == Http1Error.None;
            }

            string where = $"{Escape(input)} cut at {length}";
            Assert.True(took == parsed, $"one pass {(took ? "took" : "declined")} what the two steps {(parsed ? "took" : "declined")}: {where}");
            if (took)
            {
                Assert.Equal(headLength, onePassLength);
                Assert.Equal(Describe(twoStep), Describe(onePass));
            }
            accepted = took;
        }
        return accepted;
    }

    private static void AssertResponseAgreementOnEveryPrefix(byte[] input, int maxHead, int maxHeaders)
    {
        for (int length = 0; length <= input.Length; length++)
        {
            var onePass = new ResponseHead();
            bool took = Http1Parser.TryParseResponseHead(input.AsSpan(0, length), onePass, maxHead, maxHeaders, out int onePassLength);

            var state = default(Http1HeadScanState);
            var twoStep = new ResponseHead();
            bool found = Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(input, 0, length), ref state, maxHead, maxHead, out int headLength, out _);
            bool parsed = false;
            if (found)
            {
                twoStep.Buffer = input[..headLength];
                twoStep.Length = headLength;
                parsed = Http1Parser.ParseResponse(twoStep, maxHeaders) == Http1Error.None;
            }

            string where = $"{Escape(input)} cut at {length}";
            Assert.True(took == parsed, $"one pass {(took ? "took" : "declined")} what the two steps {(parsed ? "took" : "declined")}: {where}");
            if (took)
            {
                Assert.Equal(headLength, onePassLength);
                Assert.Equal(Describe(twoStep), Describe(onePass));
            }
        }
    }

    private static string Describe(RequestHead h) =>
        $"{h.Method} {h.MethodStart}+{h.MethodLength} target {h.TargetStart}+{h.TargetLength} path {h.PathStart}+{h.PathLength} " +
        $"query {h.QueryStart}+{h.QueryLength} authority {h.AuthorityStart}+{h.AuthorityLength} host {h.HostStart}+{h.HostLength} " +
        $"{h.Version} cl {h.ContentLength} chunked {h.IsChunked} keep-alive {h.KeepAlive} upgrade {h.IsUpgrade} expect {h.ExpectContinue} " +
        DescribeHeaders(h);

    private static string Describe(ResponseHead h) =>
        $"{h.StatusCode} reason {h.ReasonStart}+{h.ReasonLength} {h.Version} cl {h.ContentLength} chunked {h.IsChunked} keep-alive {h.KeepAlive} " +
        DescribeHeaders(h);

    private static string DescribeHeaders(MessageHead h)
    {
        var text = new StringBuilder();
        foreach (var e in h.Headers)
        {
            text.Append($"[{e.NameStart}+{e.NameLength} {e.ValueStart}+{e.ValueLength} {e.Known}]");
        }
        return text.ToString();
    }

    private static string Escape(byte[] input) =>
        Text(input).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
