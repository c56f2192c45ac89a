using System.Buffers;
using System.Text;
using FastGate.Core.Buffers;

namespace FastGate.Core.Tests.Buffers;

public class BufferWriterTests
{
    [Fact]
    public void Write_ManySmallPieces_CommitsThemInOrder()
    {
        var output = new ArrayBufferWriter<byte>(16);
        var writer = new BufferWriter<ArrayBufferWriter<byte>>(output);

        writer.Write("GET "u8);
        writer.Write((byte)'/');
        writer.WriteDecimal(1234567890123);
        writer.Write(" "u8);
        writer.WriteHex(255);
        writer.Commit();

        Assert.Equal("GET /1234567890123 ff", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Write_SpanLargerThanCurrentBuffer_SpillsAcrossBuffers()
    {
        var output = new ArrayBufferWriter<byte>(4);
        var writer = new BufferWriter<ArrayBufferWriter<byte>>(output);
        var payload = Enumerable.Range(0, 10_000).Select(i => (byte)('a' + i % 26)).ToArray();

        writer.Write(payload);
        writer.Commit();

        Assert.Equal(payload, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Buffered_CountsUncommittedBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new BufferWriter<ArrayBufferWriter<byte>>(output);

        writer.Write("abc"u8);
        var before = writer.Buffered;
        writer.Commit();

        Assert.Equal(3, before);
        Assert.Equal(0, writer.Buffered);
        Assert.Equal(3, output.WrittenCount);
    }
}
