using System.Buffers;
using System.Text;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

public class Http1RequestHeadScanTests
{
    /// <summary>A head of about <paramref name="size"/> bytes: a request line, Host, then filler fields.</summary>
    private static byte[] LargeHead(int size)
    {
        var text = new StringBuilder("GET /slow HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; text.Length < size - 40; i++)
        {
            text.Append($"X-Filler-{i:D3}: {new string('v', 200)}\r\n");
        }
        text.Append("\r\n");
        return Bytes(text.ToString());
    }

    /// <summary>Feeds <paramref name="input"/> as a client trickling it would: the buffer grows by one byte per read.</summary>
    private static (bool Found, int Length, Http1Error Error, int Reads, Http1HeadScanState State) FeedByteByByte(byte[] input, int maxHead = MaxHead, int maxStartLine = MaxStartLine)
    {
        var state = default(Http1HeadScanState);
        for (int end = 1; end <= input.Length; end++)
        {
            bool found = Http1Parser.TryFindRequestHeadEnd(new ReadOnlySequence<byte>(input, 0, end), ref state, maxHead, maxStartLine, out int length, out var error);
            if (found || error != Http1Error.None)
            {
                return (found, length, error, end, state);
            }
        }
        return (false, 0, Http1Error.None, input.Length, state);
    }

    [Fact]
    public void TryFindRequestHeadEnd_HeadTrickledOneByteAtATime_ScansEachByteOnce()
    {
        byte[] head = LargeHead(30 * 1024);

        var (found, length, error, _, state) = FeedByteByByte(head);

        Assert.True(found, error.ToString());
        Assert.Equal(head.Length, length);
        // A scan that restarted on every read would hand over about head.Length^2 / 2 bytes (~470 million here).
        Assert.InRange(state.ScannedBytes, head.Length, 2L * head.Length);
    }

    [Fact]
    public void TryFindHeadEnd_ResponseHeadTrickledOneByteAtATime_ScansEachByteOnce()
    {
        var text = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; text.Length < 30 * 1024; i++)
        {
            text.Append($"X-Filler-{i:D3}: {new string('v', 200)}\r\n");
        }
        byte[] head = Bytes(text.Append("\r\n").ToString());
        var state = default(Http1HeadScanState);
        bool found = false;
        int length = 0;
        for (int end = 1; end <= head.Length && !found; end++)
        {
            found = Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(head, 0, end), ref state, 64 * 1024, 64 * 1024, out length, out var error);
            Assert.Equal(Http1Error.None, error);
        }

        Assert.True(found);
        Assert.Equal(head.Length, length);
        Assert.InRange(state.ScannedBytes, head.Length, 2L * head.Length);
    }

    [Fact]
    public void TryFindRequestHeadEnd_HeadTrickledAcrossSegments_ScansEachByteOnce()
    {
        byte[] head = LargeHead(8 * 1024);
        var state = default(Http1HeadScanState);
        bool found = false;
        int length = 0;
        for (int end = 1; end <= head.Length && !found; end++)
        {
            // Three segments, the cut points moving with the end, as a pipe's segments would.
            var sequence = Split(head[..end], end / 3, 2 * end / 3);
            found = Http1Parser.TryFindRequestHeadEnd(sequence, ref state, MaxHead, MaxStartLine, out length, out var error);
            Assert.Equal(Http1Error.None, error);
        }

        Assert.True(found);
        Assert.Equal(head.Length, length);
        Assert.InRange(state.ScannedBytes, head.Length, 2L * head.Length);
    }

    [Fact]
    public void TryFindRequestHeadEnd_Reset_StartsOverOnANewBuffer()
    {
        byte[] first = Bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
        byte[] second = Bytes("GET /2 HTTP/1.1\r\nHost: bb\r\n\r\n");
        var state = default(Http1HeadScanState);
        Assert.False(Http1Parser.TryFindRequestHeadEnd(new ReadOnlySequence<byte>(first, 0, 20), ref state, MaxHead, MaxStartLine, out _, out var error));
        Assert.Equal(Http1Error.None, error);

        state.Reset();

        Assert.True(Http1Parser.TryFindRequestHeadEnd(new ReadOnlySequence<byte>(second), ref state, MaxHead, MaxStartLine, out int length, out _));
        Assert.Equal(second.Length, length);
    }

    public static TheoryData<string, Http1Error> Heads => new()
    {
        { "GET / HTTP/1.1\r\nHost: a\r\n\r\n", Http1Error.None },
        { "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Http1Error.None },
        { "GET / HTTP/1.1\nHost: a\r\n\r\n", Http1Error.BareLineEnding },
        { "GET / HTTP/1.1\r\nHost: a\r\nX: 1\rY: 2\r\n\r\n", Http1Error.BareLineEnding },
        { "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", Http1Error.BareLineEnding },
        { "GET /echo\r\nHost: a\r\n\r\n", Http1Error.InvalidRequestLine },
        { "GET /echo\r\nHost: a\nbad\r\n\r\n", Http1Error.InvalidRequestLine },
        { "GET /echo HTTP/3.0\r\nHost: a\r\n\r\n", Http1Error.UnsupportedVersion },
        { "GET /" + new string('a', MaxStartLine) + " HTTP/1.1\r\n\r\n", Http1Error.RequestLineTooLong },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void TryFindRequestHeadEnd_ByteByByteOrAtOnce_SameOutcome(string text, Http1Error expected)
    {
        byte[] input = Bytes(text);
        var whole = default(Http1HeadScanState);
        bool foundWhole = Http1Parser.TryFindRequestHeadEnd(new ReadOnlySequence<byte>(input), ref whole, MaxHead, MaxStartLine, out int lengthWhole, out var errorWhole);

        var (found, length, error, _, _) = FeedByteByByte(input);

        Assert.Equal(expected, errorWhole);
        Assert.Equal((foundWhole, lengthWhole, errorWhole), (found, length, error));
    }

    [Theory]
    [InlineData("GET /echo", Http1Error.InvalidRequestLine)]
    [InlineData("GET", Http1Error.InvalidRequestLine)]
    [InlineData("GET /echo HTTP/1.1 ", Http1Error.InvalidRequestLine)]
    [InlineData("GET  /echo HTTP/1.1", Http1Error.InvalidRequestLine)]
    [InlineData("GET /echo  HTTP/1.1", Http1Error.InvalidRequestLine)]
    [InlineData("GET /echo HTTP/1.1 extra", Http1Error.InvalidRequestLine)]
    [InlineData("GET\t/echo HTTP/1.1", Http1Error.InvalidRequestLine)]
    [InlineData(" GET /echo HTTP/1.1", Http1Error.InvalidRequestLine)]
    [InlineData("GET /echo http/1.1", Http1Error.InvalidRequestLine)]
    [InlineData("GET /echo HTTP/1", Http1Error.InvalidRequestLine)]
    [InlineData("GET /echo HTTP/1.1.1", Http1Error.InvalidRequestLine)]
    [InlineData("GET /echo HTTP/2.0", Http1Error.UnsupportedVersion)]
    [InlineData("GET /echo HTTP/0.9", Http1Error.UnsupportedVersion)]
    [InlineData("CONNECT a.example:443 HTTP/1.1", Http1Error.MethodNotAllowed)]
    public void TryFindRequestHeadEnd_MalformedRequestLine_RejectedAsSoonAsItsCrlfArrives(string line, Http1Error expected)
    {
        byte[] input = Bytes(line + "\r\nHost: a\r\n");

        var (found, _, error, reads, _) = FeedByteByByte(input);

        Assert.False(found);
        Assert.Equal(expected, error);
        Assert.Equal(line.Length + 2, reads);
        // ParseRequest agrees once the head is complete.
        Assert.Equal(expected, Http1Parser.ParseRequest(new RequestHead { Buffer = Bytes(line + "\r\nHost: a\r\n\r\n"), Length = line.Length + 13 }, MaxHeaders));
    }

    [Theory]
    [InlineData("\r\nGET /echo\r\n")]
    [InlineData("\r\n\r\nGET /echo\r\n")]
    public void TryFindRequestHeadEnd_MalformedRequestLineAfterEmptyLines_Rejected(string text)
    {
        var state = default(Http1HeadScanState);

        Assert.False(Http1Parser.TryFindRequestHeadEnd(new ReadOnlySequence<byte>(Bytes(text)), ref state, MaxHead, MaxStartLine, out _, out var error));
        Assert.Equal(Http1Error.InvalidRequestLine, error);
    }

    [Fact]
    public void TryFindHeadEnd_StatusLine_IsNotJudgedAsARequestLine()
    {
        Assert.False(Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(Bytes("HTTP/1.1 200 OK\r\nServer: x\r\n")), MaxHead, MaxStartLine, out _, out var error));
        Assert.Equal(Http1Error.None, error);
    }
}
