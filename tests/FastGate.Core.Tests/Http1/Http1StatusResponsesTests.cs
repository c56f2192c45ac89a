using System.Buffers;
using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http1;

namespace FastGate.Core.Tests.Http1;

public class Http1StatusResponsesTests
{
    [Theory]
    [InlineData(200, "HTTP/1.1 200 OK\r\n")]
    [InlineData(404, "HTTP/1.1 404 Not Found\r\n")]
    [InlineData(503, "HTTP/1.1 503 Service Unavailable\r\n")]
    [InlineData(599, "HTTP/1.1 599 Unknown\r\n")]
    public void WriteStatusLine_WritesVersionStatusAndReason(int status, string expected)
    {
        // A buffer smaller than the line: the line spans the writer's buffers whole.
        var output = new ArrayBufferWriter<byte>(4);
        var writer = new BufferWriter<ArrayBufferWriter<byte>>(output);

        Http1StatusResponses.WriteStatusLine(ref writer, status);
        writer.Commit();

        Assert.Equal(expected, Encoding.ASCII.GetString(output.WrittenSpan));
    }
}
