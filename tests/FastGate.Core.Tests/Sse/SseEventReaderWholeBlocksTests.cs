using FastGate.Core.Sse;
using static FastGate.Core.Tests.Sse.SseTestHelpers;

namespace FastGate.Core.Tests.Sse;

/// <summary>
/// <see cref="SseEventReader.WholeBlocks"/> and <see cref="SseEventReader.Skip"/>: the run of whole blocks a caller
/// may take from the raw bytes, and the reader going on after it exactly as if it had read them.
/// </summary>
public class SseEventReaderWholeBlocksTests
{
    [Theory]
    [MemberData(nameof(SseEventReaderTests.Streams), MemberType = typeof(SseEventReaderTests))]
    public void WholeBlocks_AtEverySplit_AreExactlyTheNextBlocksTryReadGives(string stream, string[] expected, string pending)
    {
        byte[] input = Bytes(stream);
        foreach (var (name, pieces) in Splits(input.Length))
        {
            var reader = new SseEventReader();
            var events = new List<string>();
            foreach (var cut in Cut(input, pieces))
            {
                reader.Append(cut.Span);
                string whole = Text(reader.WholeBlocks());
                string read = "";
                while (reader.TryRead(out SseEvent e))
                {
                    events.Add(Describe(e));
                    if (read.Length < whole.Length)
                    {
                        read += Text(e.Raw);
                        // Whole blocks end where a block ends: never inside one.
                        Assert.True(whole.StartsWith(read, StringComparison.Ordinal), name);
                    }
                }
                Assert.True(read.Length >= whole.Length, name);
            }
            Assert.True(expected.SequenceEqual(events), name);
            Assert.True(pending == PendingAsIfWhole(stream, reader), name);
        }
    }

    [Theory]
    [MemberData(nameof(SseEventReaderTests.Streams), MemberType = typeof(SseEventReaderTests))]
    public void Skip_FirstWholeBlocksAtEverySplit_TheRestReadAsWithoutSkipping(string stream, string[] expected, string pending)
    {
        byte[] input = Bytes(stream);
        foreach (var (name, pieces) in Splits(input.Length))
        {
            var reader = new SseEventReader();
            var events = new List<string>();
            var passed = "";
            foreach (var cut in Cut(input, pieces))
            {
                reader.Append(cut.Span);
                var from = reader.Position;
                var whole = reader.WholeBlocks();
                if (!whole.IsEmpty)
                {
                    // Up to the first LF LF: a block's end, as a caller taking one event at a time finds it.
                    int skipped = whole.IndexOf("\n\n"u8) + 2;
                    events.AddRange(EventsOf(whole[..skipped]));
                    reader.Skip(skipped);
                }
                while (reader.TryRead(out SseEvent e))
                {
                    events.Add(Describe(e));
                }
                passed += Text(reader.Blocks(from, reader.Position));
            }
            Assert.True(expected.SequenceEqual(events), name);
            Assert.True(stream == passed + Text(reader.Pending), name);
            Assert.True(pending == PendingAsIfWhole(stream, reader), name);
        }
    }

    /// <summary>Pending without the LF of a CRLF split after its CR, which a whole stream would have in its last block.</summary>
    private static string PendingAsIfWhole(string stream, SseEventReader reader)
    {
        string tail = Text(reader.Pending);
        return tail.StartsWith('\n') && stream[..^tail.Length].EndsWith('\r') ? tail[1..] : tail;
    }

    /// <summary>The events of whole LF-only blocks, read by a reader already past a stream's start (no BOM check).</summary>
    private static List<string> EventsOf(ReadOnlySpan<byte> blocks)
    {
        var reader = new SseEventReader();
        reader.Append("\n"u8);
        Assert.True(reader.TryRead(out _));
        reader.Append(blocks);
        var events = new List<string>();
        while (reader.TryRead(out SseEvent e))
        {
            events.Add(Describe(e));
        }
        Assert.Equal(0, reader.Pending.Length);
        return events;
    }

    [Fact]
    public void WholeBlocks_UnfinishedLastBlock_EndAtTheLastBlankLine()
    {
        var reader = new SseEventReader();
        reader.Append("data: a\n\n\ndata: b\n\ndata: c\n"u8);

        Assert.Equal("data: a\n\n\ndata: b\n\n", Text(reader.WholeBlocks()));
    }

    [Fact]
    public void WholeBlocks_AfterSkip_StartAtTheNextBlock_AndTryReadGoesOn()
    {
        var reader = new SseEventReader();
        reader.Append("data: a\n\ndata: b\n\ndata: c"u8);

        reader.Skip("data: a\n\n".Length);

        Assert.Equal("data: b\n\n", Text(reader.WholeBlocks()));
        Assert.True(reader.TryRead(out SseEvent e));
        Assert.Equal("data=b", Describe(e));
        reader.Append("\n\n"u8);
        Assert.True(reader.TryRead(out e));
        Assert.Equal("data=c", Describe(e));
    }

    [Theory]
    [InlineData("data: a\r\n\r\n")]
    [InlineData("data: a\r\rdata: b\r\r")]
    [InlineData("\u00EF\u00BB\u00BFdata: a\n\n")]
    [InlineData("data: a\n")]
    [InlineData("data: a\ndata: b")]
    [InlineData("")]
    public void WholeBlocks_NoLfLfBomOrNoBlankLine_Empty(string stream)
    {
        var reader = new SseEventReader();
        reader.Append(Bytes(stream));

        Assert.True(reader.WholeBlocks().IsEmpty);
    }

    [Fact]
    public void WholeBlocks_BomRead_TheBlocksAfterItAreWhole()
    {
        var reader = new SseEventReader();
        reader.Append(Bytes("\u00EF\u00BB\u00BFdata: a\n\ndata: b\n\n"));
        Assert.True(reader.TryRead(out _));

        Assert.Equal("data: b\n\n", Text(reader.WholeBlocks()));
    }

    [Theory]
    [InlineData("data: a\r\ndata: b\n\n", "data: a\r\ndata: b\n\n", new[] { "data=a\nb" })]
    [InlineData("data: a\r\rdata: b\n\ndata: c", "data: a\r\rdata: b\n\n", new[] { "data=a", "data=b" })]
    [InlineData("data: a\n\r\n\ndata: b\r\n", "data: a\n\r\n\n", new[] { "data=a", "comment" })]
    public void WholeBlocks_WithCrLineEnds_UpToTheLastLfLf_TheBlocksTryReadGives(string stream, string whole, string[] events)
    {
        var reader = new SseEventReader();
        reader.Append(Bytes(stream));

        Assert.Equal(whole, Text(reader.WholeBlocks()));
        var read = new List<string>();
        var raw = "";
        while (raw.Length < whole.Length && reader.TryRead(out SseEvent e))
        {
            read.Add(Describe(e));
            raw += Text(e.Raw);
        }
        Assert.Equal(whole, raw);
        Assert.Equal(events, read);
    }

    [Fact]
    public void WholeBlocks_BlockEndedWithCrAsLastByte_EmptyUntilItsLfIsRead()
    {
        var reader = new SseEventReader();
        reader.Append("data: a\r\r"u8);
        Assert.True(reader.TryRead(out _));
        reader.Append("\ndata: b\n\n"u8);

        // The LF may be the rest of a CRLF: TryRead decides.
        Assert.True(reader.WholeBlocks().IsEmpty);
        Assert.True(reader.TryRead(out SseEvent e));
        Assert.Equal("data=b", Describe(e));
    }

    [Fact]
    public void WholeBlocks_MoreThanTheBlockLimit_Empty()
    {
        var reader = new SseEventReader(maxEventBytes: 16);
        reader.Append("data: a\n\ndata: b\n\n"u8);

        Assert.True(reader.WholeBlocks().IsEmpty);
        Assert.True(reader.TryRead(out _));
        Assert.Equal("data: b\n\n", Text(reader.WholeBlocks()));
    }

    [Fact]
    public void WholeBlocks_HalfScannedBlock_Empty()
    {
        var reader = new SseEventReader();
        reader.Append("data: a"u8);
        Assert.False(reader.TryRead(out _));
        reader.Append("\n\ndata: b\n\n"u8);

        // TryRead has started on the first block; it finishes it.
        Assert.True(reader.WholeBlocks().IsEmpty);
        Assert.True(reader.TryRead(out _));
        Assert.Equal("data: b\n\n", Text(reader.WholeBlocks()));
    }
}
