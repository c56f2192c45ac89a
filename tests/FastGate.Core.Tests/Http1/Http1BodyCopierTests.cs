using System.Buffers;
using System.Text;
using FastGate.Core.Http1;

namespace FastGate.Core.Tests.Http1;

public class Http1BodyCopierTests
{
    private static (Http1CopyStatus Status, string Output, long Consumed) CopyAll(Http1BodyCopier copier, string input, bool inputEnded = false)
    {
        var output = new ArrayBufferWriter<byte>();
        var status = copier.Copy(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input)), inputEnded, output, out var consumed, out var written);
        Assert.Equal(output.WrittenCount, written);
        return (status, Encoding.ASCII.GetString(output.WrittenSpan), consumed);
    }

    /// <summary>Feeds the input one byte at a time, as the slowest client would, and collects the output.</summary>
    private static (Http1CopyStatus Status, string Output, long Consumed) CopyByteByByte(Http1BodyCopier copier, string input)
    {
        var output = new ArrayBufferWriter<byte>();
        var bytes = Encoding.ASCII.GetBytes(input);
        long consumed = 0;
        var status = Http1CopyStatus.NeedMoreData;
        for (var i = 0; i < bytes.Length && status == Http1CopyStatus.NeedMoreData; i++)
        {
            status = copier.Copy(new ReadOnlySequence<byte>(bytes, i, 1), false, output, out var used, out _);
            consumed += used;
        }
        return (status, Encoding.ASCII.GetString(output.WrittenSpan), consumed);
    }

    private static Http1BodyCopier Started(Http1BodyFraming framing, long length = 0, bool encode = false, long max = long.MaxValue)
    {
        var copier = new Http1BodyCopier();
        copier.Start(framing, length, encode, max);
        return copier;
    }

    [Fact]
    public void Copy_ContentLength_StopsAtLengthAndLeavesPipelinedBytes()
    {
        var (status, output, consumed) = CopyAll(Started(Http1BodyFraming.ContentLength, 5), "helloGET / HTTP/1.1\r\n");

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal("hello", output);
        Assert.Equal(5, consumed);
    }

    [Fact]
    public void Copy_ContentLengthInPieces_NeedsMoreUntilComplete()
    {
        var copier = Started(Http1BodyFraming.ContentLength, 8);
        var output = new ArrayBufferWriter<byte>();

        var first = copier.Copy(new ReadOnlySequence<byte>("hell"u8.ToArray()), false, output, out var c1, out _);
        var second = copier.Copy(new ReadOnlySequence<byte>("o wo!!"u8.ToArray()), false, output, out var c2, out _);

        Assert.Equal(Http1CopyStatus.NeedMoreData, first);
        Assert.Equal(Http1CopyStatus.Complete, second);
        Assert.Equal(4, c1);
        Assert.Equal(4, c2);
        Assert.Equal("hello wo", Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.Equal(8, copier.BodyBytes);
    }

    [Fact]
    public void Copy_ChunkedReencoded_DropsExtensionsAndTrailers()
    {
        const string input = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";

        var (status, output, consumed) = CopyAll(Started(Http1BodyFraming.Chunked, encode: true), input);

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", output);
        Assert.Equal(input.Length - "NEXT".Length, consumed);
    }

    [Fact]
    public void Copy_ChunkedDecodedPlain_WritesOnlyData()
    {
        var (status, output, _) = CopyAll(Started(Http1BodyFraming.Chunked), "5\r\nhello\r\n0\r\n\r\n");

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal("hello", output);
    }

    [Fact]
    public void Copy_ChunkedSplitAtEveryByte_GivesTheSameData()
    {
        const string input = "a\r\n0123456789\r\n3;x=\"y\"\r\nabc\r\n0\r\n\r\n";

        var whole = CopyAll(Started(Http1BodyFraming.Chunked), input);
        var split = CopyByteByByte(Started(Http1BodyFraming.Chunked), input);

        Assert.Equal(Http1CopyStatus.Complete, split.Status);
        Assert.Equal(whole.Output, split.Output);
        Assert.Equal("0123456789abc", split.Output);
        Assert.Equal(input.Length, split.Consumed);
    }

    [Theory]
    [InlineData("z\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhelloXX0\r\n\r\n")]
    [InlineData("5\nhello\r\n0\r\n\r\n")]
    public void Copy_InvalidChunkedFraming_ReportsInvalid(string input)
    {
        var (status, _, _) = CopyAll(Started(Http1BodyFraming.Chunked, encode: true), input);

        Assert.Equal(Http1CopyStatus.InvalidFraming, status);
    }

    [Fact]
    public void Copy_ChunkedOverLimit_ReportsTooLarge()
    {
        var (status, _, _) = CopyAll(Started(Http1BodyFraming.Chunked, max: 8), "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n");

        Assert.Equal(Http1CopyStatus.TooLarge, status);
    }

    [Fact]
    public void Copy_UntilCloseToHttp11_ChunksEachReadAndEndsOnClose()
    {
        var copier = Started(Http1BodyFraming.UntilClose, encode: true);
        var output = new ArrayBufferWriter<byte>();

        var open = copier.Copy(new ReadOnlySequence<byte>("abc"u8.ToArray()), false, output, out _, out _);
        var closed = copier.Copy(ReadOnlySequence<byte>.Empty, true, output, out _, out _);

        Assert.Equal(Http1CopyStatus.NeedMoreData, open);
        Assert.Equal(Http1CopyStatus.Complete, closed);
        Assert.Equal("3\r\nabc\r\n0\r\n\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Copy_UntilClosePlain_PassesBytesThrough()
    {
        var (status, output, consumed) = CopyAll(Started(Http1BodyFraming.UntilClose), "raw bytes", inputEnded: true);

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal("raw bytes", output);
        Assert.Equal(9, consumed);
    }

    [Fact]
    public void Copy_ContentLengthWithEncodeRequested_StaysUnchunked()
    {
        var (status, output, _) = CopyAll(Started(Http1BodyFraming.ContentLength, 3, encode: true), "abc");

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal("abc", output);
    }

    [Fact]
    public void Copy_MultiSegmentInput_CopiesAcrossSegments()
    {
        var sequence = Http1TestHelpers.Split(Encoding.ASCII.GetBytes("4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"), 3, 11, 17);
        var copier = Started(Http1BodyFraming.Chunked);
        var output = new ArrayBufferWriter<byte>();

        var status = copier.Copy(sequence, false, output, out var consumed, out _);

        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal("wikipedia", Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.Equal(sequence.Length, consumed);
    }
}
