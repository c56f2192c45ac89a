using System.Text;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// Request bodies reach the upstream byte for byte whether they come in the write that carries
/// the head, in a later one, or split between the two, and the keep-alive connection carries the
/// next request from where the body ends.
/// </summary>
[Collection(SharedGatewayCollection.Name)]
public sealed class RequestBodyRelayTests(SharedGatewayFixture fixture)
{
    private int Port => fixture.Gateway.Port;

    [Theory]
    [InlineData(1)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(16_384)]
    [InlineData(65_536)]
    [InlineData(1_048_576)]
    public async Task Post_ContentLengthBodyInTheHeadsWrite_ThreeOnOneConnectionAllArriveIntact(int size)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(Port);
        var body = Pattern(size, seed: size);
        var message = Concat(Encoding.ASCII.GetBytes($"POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n"), body);

        for (var i = 0; i < 3; i++)
        {
            await connection.SendAsync(message);
            var response = await connection.ReadResponseAsync();

            Assert.Equal(200, response.Status);
            Assert.Null(response.Header("Connection"));
            var sink = JsonDocument.Parse(response.Body).RootElement;
            Assert.Equal(size, sink.GetProperty("body_length").GetInt64());
            Assert.Equal(Clients.Sha256Hex(body), sink.GetProperty("body_sha256").GetString());
        }
    }

    [Fact]
    public async Task Post_ChunkedBodyInTheHeadsWrite_ArrivesChunkedAndIntact()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(Port);

        await connection.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        var echo = JsonDocument.Parse(response.Body).RootElement;
        Assert.Equal("chunked", echo.GetProperty("headers").GetProperty("transfer-encoding").GetString());
        Assert.Equal("hello, world", echo.GetProperty("body").GetString());
    }

    /// <summary>
    /// Two writes a moment apart, split inside the head, at its end, and inside the body: the
    /// gateway's first read holds none, part, or all but the last byte of the body.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_MessageSplitInTwoWrites_BodyArrivesIntactAndTheNextRequestIsAnswered(bool chunked)
    {
        var data = Pattern(1024, seed: 7);
        var head = Encoding.ASCII.GetBytes(chunked
            ? "POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            : "POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n");
        var body = chunked
            ? Concat(Encoding.ASCII.GetBytes("200\r\n"), data[..512], Encoding.ASCII.GetBytes("\r\n200\r\n"), data[512..], Encoding.ASCII.GetBytes("\r\n0\r\n\r\n"))
            : data;
        var message = Concat(head, body);
        int[] splits = [head.Length - 1, head.Length, head.Length + 1, head.Length + 300, head.Length + 517, message.Length - 1];
        await using var connection = await RawHttpConnection.ConnectAsync(Port);

        foreach (var split in splits)
        {
            await connection.SendAsync(message.AsMemory(0, split));
            await Task.Delay(20);
            await connection.SendAsync(message.AsMemory(split));
            var response = await connection.ReadResponseAsync();

            Assert.Equal(200, response.Status);
            var sink = JsonDocument.Parse(response.Body).RootElement;
            Assert.Equal(1024, sink.GetProperty("body_length").GetInt64());
            Assert.Equal(Clients.Sha256Hex(data), sink.GetProperty("body_sha256").GetString());
        }
    }

    [Fact]
    public async Task Post_BodiesAndAGetPipelinedInOneWrite_AnsweredInOrder()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(Port);

        await connection.SendAsync(
            "POST /echo?n=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst" +
            "POST /echo?n=2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n" +
            "GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n");

        var first = JsonDocument.Parse((await connection.ReadResponseAsync()).Body).RootElement;
        var second = JsonDocument.Parse((await connection.ReadResponseAsync()).Body).RootElement;
        var third = JsonDocument.Parse((await connection.ReadResponseAsync()).Body).RootElement;
        Assert.Equal("n=1", first.GetProperty("query").GetString());
        Assert.Equal("first", first.GetProperty("body").GetString());
        Assert.Equal("n=2", second.GetProperty("query").GetString());
        Assert.Equal("second", second.GetProperty("body").GetString());
        Assert.Equal("n=3", third.GetProperty("query").GetString());
        Assert.Equal(0, third.GetProperty("body_length").GetInt64());
    }

    private static byte[] Pattern(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, at);
            at += part.Length;
        }
        return all;
    }
}
