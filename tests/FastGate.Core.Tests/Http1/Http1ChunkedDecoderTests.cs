using System.Text;
using FastGate.Core.Http1;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

public class Http1ChunkedDecoderTests
{
    public static TheoryData<string, string> ValidBodies => new()
    {
        { "5\r\nhello\r\n0\r\n\r\n", "hello" },
        { "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n", "01234567890123456789" },
        { "0\r\n\r\n", "" },
        { "000\r\n\r\n", "" },
        { "5;ext\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5;a=b;c=\"d;\\\"e\"\r\nhello\r\n0;last\r\n\r\n", "hello" },
        { "5 ; a = b\t;c\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5;a=\"x y\"\r\nhello\r\n0\r\n\r\n", "hello" },
        { "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:  1 2\t\r\n\r\n", "abc" },
        { "1\r\n\xff\r\n0\r\n\r\n", "\xff" },
        { "0000000000000001\r\nz\r\n0\r\n\r\n", "z" },
        { "00000000000000a\r\n0123456789\r\n0\r\n\r\n", "0123456789" },
        { "3\r\nabc\r\n4\r\ndefg\r\nC\r\nhijklmnopqrs\r\n0\r\n\r\n", "abcdefghijklmnopqrs" },
        { "3\r\nabc\r\n3;x\r\ndef\r\n3 ;y\r\nghi\r\n0\r\n\r\n", "abcdefghi" },
        { "3\r\nabc\r\n0\r\nX-End: 1\r\n\r\n", "abc" },
    };

    public static TheoryData<string, Http1Error> InvalidBodies => new()
    {
        { "\r\nhello\r\n0\r\n\r\n", Http1Error.InvalidChunkSize },
        { "g\r\n", Http1Error.InvalidChunkSize },
        { "0x5\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { " 5\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5 \r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5\rhello\r\n", Http1Error.InvalidChunkSize },
        { "-5\r\n", Http1Error.InvalidChunkSize },
        { "+5\r\n", Http1Error.InvalidChunkSize },
        { "00000000000000001\r\nz\r\n", Http1Error.InvalidChunkSize },
        { "8000000000000000\r\n", Http1Error.InvalidChunkSize },
        { "FFFFFFFFFFFFFFFFF\r\n", Http1Error.InvalidChunkSize },
        { "5;\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;=b\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;a=\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;a=b \r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;a \r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;a=\"b\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;a\x01\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;a\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5;a=b,c\r\nhello\r\n", Http1Error.InvalidChunkSize },
        { "5\r\nhelloX\r\n0\r\n\r\n", Http1Error.InvalidChunkFraming },
        { "5\r\nhello\n0\r\n\r\n", Http1Error.InvalidChunkFraming },
        { "5\r\nhello\r0\r\n\r\n", Http1Error.InvalidChunkFraming },
        { "0\r\nX: a\n\r\n", Http1Error.InvalidChunkFraming },
        { "0\r\n X: a\r\n\r\n", Http1Error.InvalidChunkFraming },
        { "0\r\nX : a\r\n\r\n", Http1Error.InvalidChunkFraming },
        { "0\r\nXa\r\n\r\n", Http1Error.InvalidChunkFraming },
        { "0\r\nX: a\x00\r\n\r\n", Http1Error.InvalidChunkFraming },
        { "0\r\n\r\r\n", Http1Error.InvalidChunkFraming },
        { "0\r\n\n", Http1Error.InvalidChunkFraming },
        { "5\r\nhello\r\n3\nabc\r\n", Http1Error.InvalidChunkSize },
        { "5\r\nhello\r\n3\r\rabc\r\n", Http1Error.InvalidChunkSize },
        { "5\r\nhello\r\n\r\n", Http1Error.InvalidChunkSize },
        { "5\r\nhello\r\n00000000000000001\r\nz\r\n", Http1Error.InvalidChunkSize },
        { "5\r\nhello\r\n8000000000000000\r\n", Http1Error.InvalidChunkSize },
        { "5\r\nhello\n\n3\r\nabc\r\n", Http1Error.InvalidChunkFraming },
    };

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void Read_ValidBody_SameDataAtEverySplit(string body, string expected)
    {
        byte[] input = Bytes(body + "GET");
        int bodyLength = body.Length;
        foreach (var pieces in new[] { Repeat(input.Length), Repeat(1), Repeat(2), Repeat(3), RandomPieces(1), RandomPieces(2), RandomPieces(3) })
        {
            var (data, status, _, consumed) = DecodeChunked(input, pieces);
            Assert.Equal(Http1ChunkStatus.Complete, status);
            Assert.Equal(expected, Text(data));
            // Complete consumes up to the final CRLF and not a byte of what follows.
            Assert.Equal(bodyLength, consumed);
        }
    }

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public void Read_InvalidBody_SpecificErrorAtEverySplit(string body, Http1Error expected)
    {
        byte[] input = Bytes(body);
        foreach (var pieces in new[] { Repeat(input.Length), Repeat(1), RandomPieces(7) })
        {
            var (_, status, error, _) = DecodeChunked(input, pieces);
            Assert.Equal(Http1ChunkStatus.Error, status);
            Assert.Equal(expected, error);
        }
    }

    [Fact]
    public void Read_IncompleteBody_ConsumesAllAndNeedsMore()
    {
        byte[] input = Bytes("5;a=b\r\nhel");
        var decoder = new Http1ChunkedDecoder();
        Assert.Equal(Http1ChunkStatus.Data, decoder.Read(input, out int consumed, out int offset, out int length));
        Assert.Equal(7, offset);
        Assert.Equal(3, length);
        Assert.Equal(input.Length, consumed);
        Assert.Equal(2, decoder.RemainingInChunk);
        Assert.Equal(Http1ChunkStatus.NeedMoreData, decoder.Read([], out consumed, out _, out _));
        Assert.Equal(0, consumed);
        Assert.Equal(Http1ChunkStatus.Data, decoder.Read(Bytes("lo\r"), out consumed, out offset, out length));
        Assert.Equal((0, 2, 2), (offset, length, consumed));
        Assert.Equal(Http1ChunkStatus.NeedMoreData, decoder.Read(Bytes("\r"), out consumed, out _, out _));
        Assert.Equal(1, consumed);
        Assert.Equal(Http1ChunkStatus.NeedMoreData, decoder.Read(Bytes("\n0\r\n"), out consumed, out _, out _));
        Assert.Equal(Http1ChunkStatus.Complete, decoder.Read(Bytes("\r\n"), out consumed, out _, out _));
        Assert.Equal(2, consumed);
    }

    [Fact]
    public void Read_LargeBodyInRandomPieces_SameBytes()
    {
        var random = new Random(42);
        var body = new MemoryStream();
        var expected = new MemoryStream();
        for (int i = 0; i < 50; i++)
        {
            int size = random.Next(0, 3000) + 1;
            var chunk = new byte[size];
            random.NextBytes(chunk);
            body.Write(Encoding.ASCII.GetBytes(size.ToString(i % 2 == 0 ? "x" : "X") + (i % 5 == 0 ? ";n=v" : "") + "\r\n"));
            body.Write(chunk);
            body.Write("\r\n"u8);
            expected.Write(chunk);
        }
        body.Write("0\r\n\r\n"u8);
        byte[] input = body.ToArray();
        for (int seed = 0; seed < 5; seed++)
        {
            var (data, status, _, consumed) = DecodeChunked(input, RandomPieces(seed).Select(n => n * 97));
            Assert.Equal(Http1ChunkStatus.Complete, status);
            Assert.Equal(input.Length, consumed);
            Assert.Equal(expected.ToArray(), data);
        }
    }

    [Fact]
    public void Read_ExtensionOverLimit_InvalidChunkSize()
    {
        byte[] input = Bytes("5;a=" + new string('b', Http1ChunkedDecoder.MaxChunkLineBytes) + "\r\nhello\r\n0\r\n\r\n");
        var (_, status, error, consumed) = DecodeChunked(input, Repeat(1000));
        Assert.Equal(Http1ChunkStatus.Error, status);
        Assert.Equal(Http1Error.InvalidChunkSize, error);
        Assert.True(consumed <= Http1ChunkedDecoder.MaxChunkLineBytes + 2);
    }

    [Fact]
    public void Read_TrailersOverLimit_InvalidChunkFraming()
    {
        var trailer = new StringBuilder("0\r\n");
        for (int i = 0; i < 400; i++) trailer.Append("X-Trailer-").Append(i).Append(": ").Append('v', 80).Append("\r\n");
        trailer.Append("\r\n");
        var (_, status, error, _) = DecodeChunked(Bytes(trailer.ToString()), Repeat(4096));
        Assert.Equal(Http1ChunkStatus.Error, status);
        Assert.Equal(Http1Error.InvalidChunkFraming, error);
    }

    [Fact]
    public void Read_AfterComplete_StaysComplete()
    {
        var decoder = new Http1ChunkedDecoder();
        Assert.Equal(Http1ChunkStatus.Complete, decoder.Read(Bytes("0\r\n\r\nrest"), out int consumed, out _, out _));
        Assert.Equal(5, consumed);
        Assert.True(decoder.IsComplete);
        Assert.Equal(Http1ChunkStatus.Complete, decoder.Read(Bytes("rest"), out consumed, out _, out _));
        Assert.Equal(0, consumed);
        decoder.Reset();
        Assert.False(decoder.IsComplete);
    }
}
