using System.Buffers;
using System.Text;
using FastGate.Core.Http1;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

/// <summary>
/// A chunked body's trailer section kept (gRPC's grpc-status travels there) instead of dropped:
/// handed over byte for byte at every split, re-framed by the writer, still refused when malformed
/// or past the limit.
/// </summary>
public class Http1ChunkedTrailerTests
{
    /// <summary>Decodes with trailers kept, the input cut into pieces; returns data, trailer bytes, the last status, the error and the bytes consumed.</summary>
    private static (string Data, string Trailers, Http1ChunkStatus Status, Http1Error Error, int Consumed) Decode(byte[] body, IEnumerable<int> pieceLengths)
    {
        var decoder = new Http1ChunkedDecoder { KeepTrailers = true };
        var data = new List<byte>();
        var trailers = new List<byte>();
        var offset = 0;
        using var lengths = pieceLengths.GetEnumerator();
        while (offset < body.Length)
        {
            var length = lengths.MoveNext() ? Math.Min(lengths.Current, body.Length - offset) : body.Length - offset;
            ReadOnlySpan<byte> piece = body.AsSpan(offset, length);
            while (true)
            {
                var status = decoder.Read(piece, out var consumed, out var dataOffset, out var dataLength);
                offset += consumed;
                switch (status)
                {
                    case Http1ChunkStatus.Data:
                        data.AddRange(piece.Slice(dataOffset, dataLength).ToArray());
                        piece = piece[consumed..];
                        if (piece.IsEmpty)
                        {
                            break;
                        }
                        continue;
                    case Http1ChunkStatus.Trailer:
                        Assert.Equal(dataOffset + dataLength, consumed);
                        Assert.True(dataLength > 0);
                        trailers.AddRange(piece.Slice(dataOffset, dataLength).ToArray());
                        piece = piece[consumed..];
                        if (piece.IsEmpty)
                        {
                            break;
                        }
                        continue;
                    case Http1ChunkStatus.NeedMoreData:
                        Assert.Equal(piece.Length, consumed);
                        break;
                    case Http1ChunkStatus.Complete:
                        return (Text([.. data]), Text([.. trailers]), status, Http1Error.None, offset);
                    default:
                        return (Text([.. data]), Text([.. trailers]), status, decoder.Error, offset);
                }
                break;
            }
        }
        return (Text([.. data]), Text([.. trailers]), Http1ChunkStatus.NeedMoreData, Http1Error.None, offset);
    }

    private static IEnumerable<IEnumerable<int>> Splits(int length)
    {
        yield return Repeat(length);
        yield return Repeat(1);
        yield return Repeat(2);
        yield return Repeat(3);
        yield return RandomPieces(5);
        yield return RandomPieces(6);
    }

    public static TheoryData<string, string, string> BodiesWithTrailers => new()
    {
        { "3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n", "abc", "grpc-status: 0\r\n" },
        { "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:  1 2\t\r\n\r\n", "abc", "Expires: never\r\nX-Sum:  1 2\t\r\n" },
        { "0;ext=1\r\ngrpc-status: 14\r\ngrpc-message: unavailable\r\n\r\n", "", "grpc-status: 14\r\ngrpc-message: unavailable\r\n" },
        { "0\r\nX:\r\n\r\n", "", "X:\r\n" },
        { "5\r\nhello\r\n0\r\n\r\n", "hello", "" },
    };

    [Theory]
    [MemberData(nameof(BodiesWithTrailers))]
    public void Read_KeepTrailers_SameDataAndTrailerBytesAtEverySplit(string body, string data, string trailers)
    {
        var input = Bytes(body + "NEXT");
        foreach (var split in Splits(input.Length))
        {
            var result = Decode(input, split);
            Assert.Equal(Http1ChunkStatus.Complete, result.Status);
            Assert.Equal(data, result.Data);
            Assert.Equal(trailers, result.Trailers);
            Assert.Equal(body.Length, result.Consumed);
        }
    }

    [Fact]
    public void Read_KeepTrailers_EverySingleSplitPoint()
    {
        const string body = "4\r\nwxyz\r\n0\r\nA: 1\r\nbb: two\r\n\r\n";
        var input = Bytes(body);
        for (var cut = 1; cut < input.Length; cut++)
        {
            var result = Decode(input, new[] { cut, input.Length });
            Assert.Equal(Http1ChunkStatus.Complete, result.Status);
            Assert.Equal("wxyz", result.Data);
            Assert.Equal("A: 1\r\nbb: two\r\n", result.Trailers);
            Assert.Equal(body.Length, result.Consumed);
        }
    }

    [Theory]
    [InlineData("0\r\nX: a\n\r\n")]
    [InlineData("0\r\n X: a\r\n\r\n")]
    [InlineData("0\r\nX : a\r\n\r\n")]
    [InlineData("0\r\nXa\r\n\r\n")]
    [InlineData("0\r\nX: a\x00\r\n\r\n")]
    [InlineData("0\r\nX: a\r\n\tfolded\r\n\r\n")]
    [InlineData("0\r\n\r\r\n")]
    [InlineData("0\r\n\n")]
    public void Read_KeepTrailers_MalformedTrailerStillRefused(string body)
    {
        var input = Bytes(body);
        foreach (var split in Splits(input.Length))
        {
            var result = Decode(input, split);
            Assert.Equal(Http1ChunkStatus.Error, result.Status);
            Assert.Equal(Http1Error.InvalidChunkFraming, result.Error);
        }
    }

    [Fact]
    public void Read_KeepTrailers_SectionOverLimitRefused()
    {
        var trailer = new StringBuilder("0\r\n");
        for (var i = 0; i < 400; i++)
        {
            trailer.Append("X-Trailer-").Append(i).Append(": ").Append('v', 80).Append("\r\n");
        }
        trailer.Append("\r\n");
        var result = Decode(Bytes(trailer.ToString()), Repeat(4096));
        Assert.Equal(Http1ChunkStatus.Error, result.Status);
        Assert.Equal(Http1Error.InvalidChunkFraming, result.Error);
        Assert.True(result.Trailers.Length <= Http1ChunkedDecoder.MaxTrailerBytes);
    }

    [Fact]
    public void Read_TrailersNotKept_NoTrailerStatus()
    {
        var decoder = new Http1ChunkedDecoder();
        var status = decoder.Read(Bytes("0\r\nX: 1\r\n\r\n"), out var consumed, out _, out _);
        Assert.Equal(Http1ChunkStatus.Complete, status);
        Assert.Equal("0\r\nX: 1\r\n\r\n".Length, consumed);
    }

    [Fact]
    public void Copy_KeepTrailersChunked_WritesTheTrailerSectionAtEverySplit()
    {
        const string input = "5;ext=1\r\nhello\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\nNEXT";
        const string section = "0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n";
        var bytes = Bytes(input);
        for (var size = 1; size <= bytes.Length; size++)
        {
            var copier = new Http1BodyCopier();
            copier.Start(Http1BodyFraming.Chunked, 0, encodeChunked: true, long.MaxValue, keepTrailers: true);
            var output = new ArrayBufferWriter<byte>();
            var offset = 0;
            var status = Http1CopyStatus.NeedMoreData;
            while (status == Http1CopyStatus.NeedMoreData && offset < bytes.Length)
            {
                var length = Math.Min(size, bytes.Length - offset);
                status = copier.Copy(new ReadOnlySequence<byte>(bytes, offset, length), false, output, out var consumed, out _);
                offset += (int)consumed;
            }
            Assert.Equal(Http1CopyStatus.Complete, status);
            // The data is re-chunked per piece; the section follows the last chunk once, whole.
            var written = Text(output.WrittenSpan.ToArray());
            Assert.EndsWith("\r\n" + section, written);
            Assert.Equal(1, CountOf(written, "grpc-status"));
            var again = Decode(Bytes(written), Repeat(written.Length));
            Assert.Equal("hello", again.Data);
            Assert.Equal("grpc-status: 0\r\ngrpc-message: ok\r\n", again.Trailers);
            Assert.Equal(input.Length - "NEXT".Length, offset);
        }
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    [Fact]
    public void Copy_KeepTrailersDecodedPlain_DropsTrailers()
    {
        var copier = new Http1BodyCopier();
        copier.Start(Http1BodyFraming.Chunked, 0, encodeChunked: false, long.MaxValue, keepTrailers: true);
        var output = new ArrayBufferWriter<byte>();
        var status = copier.Copy(new ReadOnlySequence<byte>(Bytes("3\r\nabc\r\n0\r\nX: 1\r\n\r\n")), false, output, out _, out _);
        Assert.Equal(Http1CopyStatus.Complete, status);
        Assert.Equal("abc", Text(output.WrittenSpan.ToArray()));
    }

    [Fact]
    public void Writer_TrailersInPieces_OneLastChunkThenLinesThenEmptyLine()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new Http1BodyWriter<ArrayBufferWriter<byte>>(output, chunked: true);
        writer.Data("ab"u8);
        writer.Trailers("grpc-sta"u8, first: true);
        writer.Trailers("tus: 0\r\n"u8, first: false);
        writer.EndAfterTrailers();
        writer.Commit();
        Assert.Equal("2\r\nab\r\n0\r\ngrpc-status: 0\r\n\r\n", Text(output.WrittenSpan.ToArray()));
    }

    [Theory]
    [InlineData(false, 16 * 1024)]
    [InlineData(true, 6 + 16 * 1024 + 2)]
    public void Writer_Commit_CountsEveryByteOfAWriteSpanningSeveralBuffers(bool chunked, long expected)
    {
        // A pipe hands out 4 KiB segments, so the data is committed piece by piece on its way in:
        // flow control counts on this total, which must include those pieces.
        var pipe = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(minimumSegmentSize: 4096, pauseWriterThreshold: 0));
        var writer = new Http1BodyWriter<System.IO.Pipelines.PipeWriter>(pipe.Writer, chunked);
        writer.Data(new byte[16 * 1024]);
        Assert.Equal(expected, writer.Commit());
        Assert.Equal(expected, pipe.Writer.UnflushedBytes);
    }
}
