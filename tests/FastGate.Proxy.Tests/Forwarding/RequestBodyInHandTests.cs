using System.Buffers;
using System.Text;
using FastGate.Core.Transport;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// A request body that arrives with its head (whole, or in part) goes upstream from the read that
/// brought it; what the client sends later follows. Either way the upstream gets the body intact,
/// the client's next request is read where the body ends, and the upstream connection is reused.
/// </summary>
public class RequestBodyInHandTests
{
    private static string Config() => TestGateway.OneRouteConfig(routeKeys: "max_body_bytes = \"4MiB\"");

    [Theory]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(70_000)]
    [InlineData(2_100_000)]
    public async Task Post_ContentLengthBodyWithTheHead_ReachesUpstreamIntactAndTheConnectionIsReused(int size)
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(), origin);
        using var client = gateway.Connect();
        var body = Pattern(size);

        await client.SendAsync($"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: {size}\r\n\r\n{body}");
        await client.SendAsync($"POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: {size}\r\n\r\n{body}");
        var responses = await client.ReceiveAsync(2);

        Assert.Equal(2, responses.Count);
        Assert.All(responses, r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
        Assert.All(responses, r => Assert.DoesNotContain("Connection: close", r));
        Assert.Equal(2, origin.Requests.Count);
        Assert.All(origin.Requests, r => Assert.Equal(body, BodyOf(r)));
        Assert.Equal(1, origin.Connections);
    }

    [Fact]
    public async Task Post_ChunkedBodyWithTheHead_ReachesUpstreamIntact()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
        await client.SendAsync("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        Assert.All(responses, r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
        var request = origin.Requests.First();
        Assert.Equal("hello, world", DecodeChunked(BodyOf(request), out _));
        Assert.Equal(1, origin.Connections);
    }

    /// <summary>
    /// The message reaches the gateway in two writes, split at every byte: the first read holds
    /// the head and part of the body (or the whole body, or part of the head), the rest follows.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_MessageSplitAtEveryByte_UpstreamGetsTheBodyIntact(bool chunked)
    {
        var message = chunked
            ? "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nb\r\n, the world\r\n0\r\n\r\n"
            : "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\nhello, the world";
        for (var split = 1; split < message.Length; split++)
        {
            var origin = new InMemoryOrigin("127.0.0.1:9001");
            using var gateway = new TestGateway(Config(), origin);
            using var client = gateway.Connect();

            await client.SendAsync(message[..split]);
            await Task.Yield();
            await client.SendAsync(message[split..] + "GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
            var responses = await client.ReceiveAsync(2);

            Assert.True(responses.Count == 2, $"split at {split}: {responses.Count} response(s)");
            Assert.All(responses, r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
            var body = BodyOf(origin.Requests.First());
            Assert.Equal("hello, the world", chunked ? DecodeChunked(body, out _) : body);
            Assert.Equal(1, origin.Connections);
        }
    }

    [Fact]
    public async Task Post_ClientClosesWithPartOfTheBodyInTheFirstRead_NothingReachesTheUpstreamWhole()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(), origin);
        var (client, server) = InMemoryTransport.CreatePair();
        using var owned = client;
        var connection = new FastGate.Proxy.Forwarding.Http1ProxyConnection(server, "127.0.0.1"u8.ToArray(), gateway.Gateway, "web", null);
        _ = connection.Start();

        client.Output.Write(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel"));
        await client.Output.CompleteAsync();

        var closed = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!closed)
        {
            var result = await client.Input.ReadAsync(timeout.Token);
            Assert.DoesNotContain("200 OK", Encoding.ASCII.GetString(result.Buffer.ToArray()));
            client.Input.AdvanceTo(result.Buffer.End);
            closed = result.IsCompleted;
        }
        Assert.Empty(origin.Requests);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverTheLimitInTheFirstRead_Answers413WithoutAWholeRequestUpstream()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(routeKeys: "max_body_bytes = \"1KiB\""), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + new string('x', 2048) + "\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 413 ", (await client.ReceiveAsync()).Single());
        Assert.True(await client.ClosedAsync());
        Assert.Empty(origin.Requests);
    }

    private static string Pattern(int size)
    {
        var text = new StringBuilder(size);
        for (var i = 0; i < size; i++)
        {
            text.Append((char)('a' + (i * 7 + i / 26) % 26));
        }
        return text.ToString();
    }

    private static string BodyOf(string request) => request[(request.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];

    /// <summary>The data of a chunked body; <paramref name="trailer"/> gets the trailer section.</summary>
    private static string DecodeChunked(string body, out string trailer)
    {
        var data = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var sizeText = body[at..lineEnd];
            var semicolon = sizeText.IndexOf(';');
            var size = Convert.ToInt32(semicolon < 0 ? sizeText : sizeText[..semicolon], 16);
            at = lineEnd + 2;
            if (size == 0)
            {
                trailer = body[at..];
                return data.ToString();
            }
            data.Append(body, at, size);
            Assert.Equal("\r\n", body.Substring(at + size, 2));
            at += size + 2;
        }
    }
}
