using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Sse;
using static FastGate.Core.Tests.Sse.SseTestHelpers;

namespace FastGate.Core.Tests.Sse;

public class SseEventReaderTests
{
    /// <summary>A stream, the events read from it (see <see cref="SseTestHelpers.Describe"/>), and what is left pending.</summary>
    public static TheoryData<string, string[], string> Streams => new()
    {
        // Line endings: LF, CRLF, CR, and all three in one block.
        { "data: hello\n\n", ["data=hello"], "" },
        { "data: hello\r\n\r\n", ["data=hello"], "" },
        { "data: hello\r\r", ["data=hello"], "" },
        { "event: a\r\ndata: 1\rdata: 2\n\r\n", ["event=a data=1\n2"], "" },
        { "data: 1\r\n\rdata: 2\n\r\n", ["data=1", "data=2"], "" },
        // Several data lines are joined with LF, no trailing LF.
        { "data: a\ndata: b\ndata: c\n\n", ["data=a\nb\nc"], "" },
        { "data: a\r\ndata: b\r\n\r\n", ["data=a\nb"], "" },
        // Empty data still makes an event; "data" without a colon is a field with an empty value.
        { "data:\n\n", ["data="], "" },
        { "data\n\n", ["data="], "" },
        { "data\ndata\n\n", ["data=\n"], "" },
        { "data: \n\n", ["data="], "" },
        { "data:\ndata: x\n\n", ["data=\nx"], "" },
        // Exactly one space after the colon is removed.
        { "data:  two\n\n", ["data= two"], "" },
        { "data:no-space\n\n", ["data=no-space"], "" },
        { "data:\tx\n\n", ["data=\tx"], "" },
        { "data: a:b\n\n", ["data=a:b"], "" },
        { "data:: x\n\n", ["data=: x"], "" },
        { "data: x \n\n", ["data=x "], "" },
        { "data: h\u00C3\u00A9llo\n\n", ["data=h\u00C3\u00A9llo"], "" },
        // Comments.
        { ": keep-alive\n\n", ["comment"], "" },
        { ":\n\n", ["comment"], "" },
        { ":a\r\n:b\r\n\r\n", ["comment"], "" },
        { "data: a\n: note\ndata: b\n\n", ["data=a\nb"], "" },
        // Unknown fields are ignored; names are case-sensitive and end at the colon.
        { "foo: bar\n\n", ["comment"], "" },
        { "foo\n\n", ["comment"], "" },
        { "Data: x\n\n", ["comment"], "" },
        { "data : x\n\n", ["comment"], "" },
        { " data: x\n\n", ["comment"], "" },
        { "foo: bar\ndata: x\n\n", ["data=x"], "" },
        // Retry: only ASCII digits; the last valid one wins.
        { "retry: 3000\n\n", ["retry=3000"], "" },
        { "retry:0\n\n", ["retry=0"], "" },
        { "retry: 007\n\n", ["retry=7"], "" },
        { "retry: 30a\n\n", [""], "" },
        { "retry: -1\n\n", [""], "" },
        { "retry: 1.5\n\n", [""], "" },
        { "retry: +5\n\n", [""], "" },
        { "retry:\n\n", [""], "" },
        { "retry\n\n", [""], "" },
        { "retry:  5\n\n", [""], "" },
        { "retry: 5 \n\n", [""], "" },
        { "retry: 9223372036854775807\n\n", ["retry=9223372036854775807"], "" },
        { "retry: 9223372036854775808\n\n", [""], "" },
        { "retry: 99999999999999999999999\n\n", [""], "" },
        { "retry: 10\nretry: x\n\n", ["retry=10"], "" },
        { "retry: 10\nretry: 20\ndata: d\n\n", ["data=d retry=20"], "" },
        // Id: an empty one counts (it resets the client's last event id); one with NUL is ignored.
        { "id: 42\ndata: x\n\n", ["id=42 data=x"], "" },
        { "id\n\n", ["id="], "" },
        { "id:\n\n", ["id="], "" },
        { "id: a\0b\ndata: x\n\n", ["data=x"], "" },
        { "id: \0\n\n", [""], "" },
        { "id: 1\nid: 2\0\n\n", ["id=1"], "" },
        { "id: 1\nid: 2\n\n", ["id=2"], "" },
        // Event type: the last one wins.
        { "event: update\ndata: x\n\n", ["event=update data=x"], "" },
        { "event: a\nevent: b\n\n", ["event=b"], "" },
        { "event:\ndata: x\n\n", ["data=x"], "" },
        // A UTF-8 BOM is skipped at the start of the stream only.
        { "\u00EF\u00BB\u00BFdata: x\n\n", ["data=x"], "" },
        { "\u00EF\u00BB\u00BF\n", ["comment"], "" },
        { "\u00EF\u00BB\u00BF\r\n\r\n", ["comment", "comment"], "" },
        { "\u00EF\u00BB\u00BF: hi\n\n", ["comment"], "" },
        { "\u00EF\u00BB\u00BFdata: 1\n\n\u00EF\u00BB\u00BFdata: 2\n\n", ["data=1", "comment"], "" },
        { "\u00EF\u00BBdata: x\n\n", ["comment"], "" },
        { "\u00EFdata: x\n\n", ["comment"], "" },
        { "\u00EF\u00BB", [], "\u00EF\u00BB" },
        // Several events in one piece, and blank lines of their own.
        { "data: 1\n\ndata: 2\n\nevent: end\ndata: 3\n\n", ["data=1", "data=2", "event=end data=3"], "" },
        { "data: 1\n\n\n", ["data=1", "comment"], "" },
        { "\n\r\n\r", ["comment", "comment", "comment"], "" },
        { "id: 7\n\n: ping\n\nretry: 5\n\n", ["id=7", "comment", "retry=5"], "" },
        // The stream ends without its last blank line: the unfinished block is pending.
        { "data: 1\n\ndata: 2\n", ["data=1"], "data: 2\n" },
        { "data: 1\n\ndata: 2", ["data=1"], "data: 2" },
        { "data: 1\n\ndata: 2\r", ["data=1"], "data: 2\r" },
        { "data: 1\n\ndata: 2\r\n", ["data=1"], "data: 2\r\n" },
        { "data: 2\n: x", [], "data: 2\n: x" },
        { "", [], "" },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void TryRead_Stream_SameEventsAtEverySplit(string stream, string[] expected, string pending)
    {
        byte[] input = Bytes(stream);
        Result whole = Feed(input, [input.Length]);
        Assert.Equal(expected, whole.Events);
        Assert.Equal(pending, whole.Pending);
        Assert.Equal(stream, string.Concat(whole.Raws) + whole.Pending);
        foreach (var (name, pieces) in Splits(input.Length))
        {
            Result split = Feed(input, pieces);
            Assert.True(expected.SequenceEqual(split.Events), name);
            // Raw blocks and the pending tail give back the stream byte for byte, whatever the pieces.
            Assert.True(stream == string.Concat(split.Raws) + split.Pending, name);
            var (raws, rest) = JoinSplitCrLf(split.Raws, split.Pending);
            Assert.True(whole.Raws.SequenceEqual(raws), name);
            Assert.True(pending == rest, name);
            Assert.False(split.TooLarge, name);
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void AppendBuffer_Stream_SameAsSpansAtEverySplit(string stream, string[] expected, string pending)
    {
        byte[] input = Bytes(stream);
        foreach (var (name, split) in Splits(input.Length))
        {
            // The random splits draw as they are enumerated: both feeds get the same pieces.
            var pieces = split.ToList();
            Result spans = Feed(input, pieces);
            Result buffers = FeedBuffers(input, pieces);
            Assert.True(spans.Events.SequenceEqual(buffers.Events), name);
            Assert.True(spans.Raws.SequenceEqual(buffers.Raws), name);
            Assert.True(spans.Pending == buffers.Pending, name);
        }
        Result whole = FeedBuffers(input, [input.Length]);
        Assert.Equal(expected, whole.Events);
        Assert.Equal(pending, whole.Pending);
    }

    [Fact]
    public void AppendBuffer_NothingPending_TakesTheArrayAndLeavesTheBufferEmpty()
    {
        var reader = new SseEventReader();
        var piece = new PooledByteBuffer();
        piece.Write(Bytes("data: 1\n\ndata: 2\n\n"));
        reader.Append(piece);
        Assert.Equal(0, piece.Length);
        Assert.True(reader.TryRead(out SseEvent first));
        Assert.Equal("data=1", Describe(first));

        // An unfinished block is pending after the next piece: the one after it is copied behind it, not taken.
        Assert.True(reader.TryRead(out _));
        piece.Write(Bytes("data: 3"));
        reader.Append(piece);
        Assert.Equal(0, piece.Length);
        Assert.False(reader.TryRead(out _));
        piece.Write(Bytes("\n\n"));
        reader.Append(piece);
        Assert.Equal("\n\n", Text(piece.WrittenSpan));
        Assert.True(reader.TryRead(out SseEvent third));
        Assert.Equal("data=3", Describe(third));
        Assert.Equal("data: 3\n\n", Text(third.Raw));
        reader.Release();
        piece.Release();
    }

    [Fact]
    public void Blocks_BetweenPositions_AreTheEventsRawBytesBackToBack()
    {
        var reader = new SseEventReader();
        reader.Append(Bytes(": hi\r\n\r\ndata: a\n\nevent: x\rdata: b\r\rdata: c"));
        int from = reader.Position;
        var raws = new StringBuilder();
        while (reader.TryRead(out SseEvent e))
        {
            raws.Append(Text(e.Raw));
        }
        Assert.Equal(": hi\r\n\r\ndata: a\n\nevent: x\rdata: b\r\r", Text(reader.Blocks(from, reader.Position)));
        Assert.Equal(raws.ToString(), Text(reader.Blocks(from, reader.Position)));
        Assert.Equal("data: c", Text(reader.Pending));
        reader.Release();
    }

    [Fact]
    public void TryRead_CrLfEndingSplitAfterCr_LfIsNoBlankLine()
    {
        var reader = new SseEventReader();
        reader.Append(Bytes("data: x\r"));
        Assert.False(reader.TryRead(out _));
        reader.Append(Bytes("\ndata: y\r\n\r"));
        Assert.True(reader.TryRead(out SseEvent e));
        Assert.Equal("x\ny", Text(e.Data));
        Assert.Equal("data: x\r\ndata: y\r\n\r", Text(e.Raw));
        Assert.False(reader.TryRead(out _));
        Assert.Equal("", Text(reader.Pending));

        // The LF completing the blank line's CRLF: kept for forwarding, never a block of its own.
        reader.Append(Bytes("\n"));
        Assert.False(reader.TryRead(out _));
        Assert.Equal("\n", Text(reader.Pending));
        reader.Append(Bytes("data: z\r\n\r\n"));
        Assert.True(reader.TryRead(out e));
        Assert.Equal("z", Text(e.Data));
        Assert.Equal("\ndata: z\r\n\r\n", Text(e.Raw));
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void TryRead_BlockEndingInCr_HandedOutWithoutWaitingForNextByte()
    {
        var reader = new SseEventReader();
        reader.Append(Bytes("data: x\r\r"));
        Assert.True(reader.TryRead(out SseEvent e));
        Assert.Equal("x", Text(e.Data));
        Assert.Equal("data: x\r\r", Text(e.Raw));
        // A CR after a CR-ended block is a blank line of its own.
        reader.Append(Bytes("\r"));
        Assert.True(reader.TryRead(out e));
        Assert.True(e.IsCommentOnly);
        Assert.Equal("\r", Text(e.Raw));
    }

    [Fact]
    public void TryRead_SingleDataLine_DataIsSliceOfRaw()
    {
        var reader = new SseEventReader();
        reader.Append(Bytes("event: e\ndata: payload\n\n"));
        Assert.True(reader.TryRead(out SseEvent e));
        Assert.True(e.Raw.Overlaps(e.Data));
        Assert.True(e.Raw.Overlaps(e.EventType));
        Assert.Equal("e", Text(e.EventType));
    }

    [Fact]
    public void TryRead_Incomplete_ReturnsFalseAndKeepsAllPending()
    {
        var reader = new SseEventReader();
        reader.Append(Bytes("event: e\ndata: a"));
        Assert.False(reader.TryRead(out SseEvent e));
        Assert.True(e.Raw.IsEmpty);
        Assert.Equal("event: e\ndata: a", Text(reader.Pending));
        Assert.False(reader.TryRead(out _));
        reader.Append(Bytes("bc\n"));
        Assert.False(reader.TryRead(out _));
        reader.Append(Bytes("\ndata"));
        Assert.True(reader.TryRead(out e));
        Assert.Equal("abc", Text(e.Data));
        Assert.False(reader.TryRead(out _));
        Assert.Equal("data", Text(reader.Pending));
    }

    [Fact]
    public void TryRead_EventsFromSequence_SameAsFromSpans()
    {
        byte[] input = Bytes("data: 1\r\n\r\ndata: 2\r\n\r\n");
        var reader = new SseEventReader();
        reader.Append(Http1.Http1TestHelpers.Split(input, 5, 10, 11, 20));
        var events = new List<string>();
        while (reader.TryRead(out SseEvent e))
        {
            events.Add(Describe(e));
        }
        Assert.Equal(["data=1", "data=2"], events);
    }

    [Fact]
    public void TryRead_BlockAtLimit_Read()
    {
        // 16 bytes before the blank line.
        byte[] input = Bytes("data: 123456789\n\n");
        foreach (var (name, pieces) in Splits(input.Length))
        {
            Result result = Feed(input, pieces, maxEventBytes: 16);
            Assert.True(!result.TooLarge && result.Events is ["data=123456789"], name);
        }
    }

    [Fact]
    public void TryRead_BlockOverLimit_TooLargeAtEverySplit()
    {
        byte[] input = Bytes("data: 1\n\ndata: 1234567890\n\ndata: 3\n\n");
        foreach (var (name, pieces) in Splits(input.Length))
        {
            Result result = Feed(input, pieces, maxEventBytes: 16);
            Assert.True(result.TooLarge, name);
            Assert.True(result.Events is ["data=1"], name);
            // What was kept is the block that was too large (and perhaps some of what followed it in the same piece).
            Assert.True(result.Pending.Length > 16, name);
            Assert.True("data: 1234567890\n\ndata: 3\n\n".StartsWith(result.Pending, StringComparison.Ordinal), name);
        }
    }

    [Fact]
    public void Append_AfterTooLarge_KeepsNothingMoreUntilReset()
    {
        var reader = new SseEventReader(maxEventBytes: 1024);
        var piece = new byte[300];
        piece.AsSpan().Fill((byte)'x');
        int appended = 0;
        while (!reader.TooLarge)
        {
            reader.Append(piece);
            appended += piece.Length;
            Assert.False(reader.TryRead(out _));
            Assert.True(appended < 10_000);
        }
        Assert.Equal(1200, reader.Pending.Length);
        reader.Append(Bytes("\n\ndata: late\n\n"));
        Assert.False(reader.TryRead(out _));
        Assert.Equal(1200, reader.Pending.Length);

        reader.Reset();
        Assert.False(reader.TooLarge);
        Assert.Equal(0, reader.Pending.Length);
        reader.Append(Bytes("data: again\n\n"));
        Assert.True(reader.TryRead(out SseEvent e));
        Assert.Equal("again", Text(e.Data));
    }

    [Fact]
    public void Reset_NextStream_BomSkippedAgain()
    {
        var reader = new SseEventReader();
        Feed(reader, Bytes("\u00EF\u00BB\u00BFdata: 1\n\ndata: 2"), [100]);
        reader.Reset();
        Result result = Feed(reader, Bytes("\u00EF\u00BB\u00BFdata: 3\n\n"), [2, 100]);
        Assert.Equal(["data=3"], result.Events);
        Assert.Equal("", result.Pending);
        reader.Release();
        Assert.Equal(0, reader.Pending.Length);
    }

    [Fact]
    public void Constructor_NonPositiveLimit_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SseEventReader(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SseEventReader(-1));
    }

    [Fact]
    public void TryRead_LongStreamInRandomPieces_SameEvents()
    {
        var random = new Random(7);
        var stream = new StringBuilder();
        var expected = new List<string>();
        string[] endings = ["\n", "\r\n", "\r"];
        for (int i = 0; i < 300; i++)
        {
            string eol = endings[random.Next(endings.Length)];
            int lines = random.Next(1, 4);
            var data = new List<string>();
            if (i % 7 == 0) stream.Append(": ping").Append(eol);
            if (i % 5 == 0) stream.Append("id: ").Append(i).Append(eol);
            for (int l = 0; l < lines; l++)
            {
                string value = new('a', random.Next(0, 200));
                data.Add(value);
                stream.Append("data: ").Append(value).Append(eol);
            }
            stream.Append(eol);
            expected.Add((i % 5 == 0 ? $"id={i} " : "") + "data=" + string.Join('\n', data));
        }
        byte[] input = Bytes(stream.ToString());
        for (int seed = 0; seed < 5; seed++)
        {
            var random2 = new Random(seed);
            Result result = Feed(input, Enumerable.Range(0, input.Length).Select(_ => random2.Next(1, 2000)));
            Assert.Equal(expected, result.Events);
            Assert.Equal("", result.Pending);
        }
    }

    [Fact]
    public void TryRead_SteadyState_AllocatesNothing()
    {
        byte[] input = Bytes(
            "id: 1\r\nevent: delta\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\r\n\r\n" +
            ": keep-alive\n\n" +
            "data: line one\ndata: line two\ndata: line three\n\n" +
            "retry: 1500\rdata: x\r\r");
        var reader = new SseEventReader();
        long total = 0;
        // Pieces of 7 bytes split every block and CRLF somewhere; the stream is repeated many times.
        long Run(int rounds)
        {
            long sum = 0;
            for (int round = 0; round < rounds; round++)
            {
                for (int offset = 0; offset < input.Length; offset += 7)
                {
                    reader.Append(input.AsSpan(offset, Math.Min(7, input.Length - offset)));
                    while (reader.TryRead(out SseEvent e))
                    {
                        sum += e.Data.Length + e.Raw.Length + e.Retry;
                    }
                }
            }
            return sum;
        }
        total += Run(100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        total += Run(10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(total > 0);
        reader.Release();
    }
    [Fact]
    public void TryRead_RandomStreams_SameAsSpecAlgorithm()
    {
        // Streams made of the pieces the format is built from, so that odd mixes (CR before LF in another line,
        // colons in names, NUL in ids, BOMs) come up; each is read in random pieces and compared with the plain algorithm.
        string[] tokens =
        [
            "data", "data", "id", "event", "retry", ":", ":", " ", " ", "\r", "\n", "\r\n", "\r", "\n",
            "x", "12", "\0", "\u00EF\u00BB\u00BF", "Data", "foo",
        ];
        var random = new Random(11);
        for (int n = 0; n < 2000; n++)
        {
            var stream = new StringBuilder();
            int count = random.Next(0, 40);
            for (int t = 0; t < count; t++)
            {
                stream.Append(tokens[random.Next(tokens.Length)]);
            }
            string text = stream.ToString();
            byte[] input = Bytes(text);
            string shown = text.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0");
            var (events, raws, pending) = Reference(text);
            Result result = Feed(input, Enumerable.Range(0, input.Length + 1).Select(_ => random.Next(1, 5)));
            Assert.True(events.SequenceEqual(result.Events), shown);
            Assert.True(text == string.Concat(result.Raws) + result.Pending, shown);
            var (joined, rest) = JoinSplitCrLf(result.Raws, result.Pending);
            Assert.True(raws.SequenceEqual(joined), shown);
            Assert.True(pending == rest, shown);
        }
    }
}
