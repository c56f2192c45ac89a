using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http1;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

public class Http2ChunkReaderTests
{
    /// <summary>Reads <paramref name="body"/> fed in pieces of <paramref name="piece"/> bytes, taking at most <paramref name="take"/> data bytes per step (a small window).</summary>
    private static (string Data, string Trailers, bool Complete, bool Error) Read(string body, int piece, int take = int.MaxValue)
    {
        var input = Encoding.ASCII.GetBytes(body);
        var reader = new Http2ChunkReader();
        var trailers = new PooledByteBuffer();
        var data = new StringBuilder();
        var offset = 0;
        var available = Math.Min(piece, input.Length);
        while (true)
        {
            var span = input.AsSpan(offset, available - offset);
            var status = reader.Read(span, trailers, out var consumed);
            offset += consumed;
            if (status == Http1ChunkStatus.Error)
            {
                return (data.ToString(), Encoding.ASCII.GetString(trailers.WrittenSpan), false, true);
            }
            if (status == Http1ChunkStatus.Complete)
            {
                return (data.ToString(), Encoding.ASCII.GetString(trailers.WrittenSpan), true, false);
            }
            if (status == Http1ChunkStatus.Data)
            {
                var n = (int)Math.Min(Math.Min(reader.Remaining, available - offset), take);
                if (n > 0)
                {
                    data.Append(Encoding.ASCII.GetString(input, offset, n));
                    reader.Took(n);
                    offset += n;
                    continue;
                }
            }
            if (available == input.Length)
            {
                return (data.ToString(), Encoding.ASCII.GetString(trailers.WrittenSpan), false, false);
            }
            available = Math.Min(available + piece, input.Length);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Read_SplitAnywhere_GivesTheSameDataAndTrailers(int piece)
    {
        const string body = "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\ngrpc-status: 0\r\nx-sum: abc\r\n\r\n";

        var (data, trailers, complete, error) = Read(body, piece, take: 3);

        Assert.False(error);
        Assert.True(complete);
        Assert.Equal("hello 0123456789", data);
        Assert.Equal("grpc-status: 0\r\nx-sum: abc\r\n", trailers);
    }

    [Fact]
    public void Read_NoTrailers_CompletesWithNone()
    {
        var (data, trailers, complete, _) = Read("3\r\nabc\r\n0\r\n\r\n", 1);

        Assert.True(complete);
        Assert.Equal("abc", data);
        Assert.Equal("", trailers);
    }

    [Theory]
    [InlineData("x\r\n")]
    [InlineData("3\r\nabcX\r\n")]
    [InlineData("3\nabc\r\n")]
    [InlineData("12345678901234567\r\n")]
    [InlineData("00000000000000001\r\n")]
    [InlineData("8000000000000000\r\n")]
    public void Read_BrokenFraming_IsAnError(string body)
    {
        Assert.True(Read(body, 1).Error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void Read_SixteenDigitSize_IsTakenAsCoreChunkedDecoderTakesIt(int piece)
    {
        // The SSE pass-through forwards an upstream's framing as Core's decoder accepted it: 16
        // digits with leading zeros are one of its forms.
        var (data, _, complete, error) = Read("000000000000000a\r\n0123456789\r\n0\r\n\r\n", piece);

        Assert.False(error);
        Assert.True(complete);
        Assert.Equal("0123456789", data);
    }

    [Fact]
    public void Read_Unfinished_NeedsMore()
    {
        var (data, _, complete, error) = Read("5\r\nhel", 1);

        Assert.Equal("hel", data);
        Assert.False(complete);
        Assert.False(error);
    }
}
