using System.Text;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.Stages;

/// <summary>
/// The response body a body stage sees is the decoded body, whole and in order, whatever its
/// framing and however large a read is: reads larger than the decoded buffer keeps between reads,
/// chunks of one byte and chunks larger than a read, reads cut anywhere in the framing.
/// </summary>
public class StageBodyDecodeTests
{
    /// <summary>A stage that passes the body on and keeps a copy of what it saw.</summary>
    private static DelegateStage Watcher(StringBuilder seen) => new("watch", StagePhases.ResponseBody)
    {
        ResponseBody = (_, data, _) =>
        {
            lock (seen)
            {
                seen.Append(Encoding.ASCII.GetString(data));
            }
            return BodyVerdict.Continue;
        },
    };

    /// <summary>A body of <paramref name="length"/> bytes, each telling its place, so a lost or moved byte shows.</summary>
    private static string Body(int length)
    {
        var body = new StringBuilder(length);
        for (var i = 0; body.Length < length; i++)
        {
            body.Append((char)('a' + i % 26));
        }
        return body.ToString();
    }

    private static string Chunked(string body, int[] sizes)
    {
        var framed = new StringBuilder();
        var at = 0;
        for (var i = 0; at < body.Length; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], body.Length - at);
            framed.Append(size.ToString("x")).Append("\r\n").Append(body, at, size).Append("\r\n");
            at += size;
        }
        return framed.Append("0\r\n\r\n").ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LargeChunkedResponse_ManyChunkSizes_StageAndClientGetTheBodyWhole(bool trickle)
    {
        // Larger than the decoded buffer keeps between reads; chunks from 1 byte to larger than that.
        var body = Body(trickle ? 5_000 : 400_000);
        var sizes = new[] { 1, 7, 200, 3, 70_000, 2, 16_384, 150_000, 9 };
        var seen = new StringBuilder();
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = trickle,
            Respond = _ => $"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{Chunked(body, sizes)}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [Watcher(seen)], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = await client.ReceiveTextAsync(t => t.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal));

        Assert.StartsWith("HTTP/1.1 200 ", response);
        Assert.True(body == ChunkedText.Dechunk(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]), "the client's body differs");
        lock (seen)
        {
            Assert.True(body == seen.ToString(), "the stage's body differs");
        }
    }

    [Fact]
    public async Task LargeContentLengthResponse_StageAndClientGetTheBodyWhole()
    {
        var body = Body(300_000);
        var seen = new StringBuilder();
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [Watcher(seen)], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
        var response = await client.ReceiveTextAsync(t => t.EndsWith(body[^64..], StringComparison.Ordinal));

        Assert.True(response.EndsWith("\r\n\r\n" + body, StringComparison.Ordinal), "the client's body differs");
        lock (seen)
        {
            Assert.True(body == seen.ToString(), "the stage's body differs");
        }
    }

    [Fact]
    public async Task ChunkedResponse_SplitAtEveryByte_StageAndClientGetTheBodyWhole()
    {
        var body = Body(300);
        var framed = Chunked(body, [1, 2, 40, 17, 120]);
        var head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        var seen = new StringBuilder();
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [Watcher(seen)], origin);
        for (var at = 1; at < framed.Length; at++)
        {
            var split = at;
            lock (seen)
            {
                seen.Clear();
            }
            origin.Respond = _ =>
            {
                // The second part goes out a moment later, so the gateway reads the body in two pieces.
                origin.PauseHold = Task.Delay(1);
                return head + framed[..split] + InMemoryOrigin.Pause + framed[split..];
            };
            using var client = gateway.Connect();

            await client.SendAsync("GET /split HTTP/1.1\r\nHost: h\r\n\r\n");
            var response = await client.ReceiveTextAsync(t => t.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal));

            Assert.True(body == ChunkedText.Dechunk(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]), $"split at {at}: the client's body differs");
            lock (seen)
            {
                Assert.True(body == seen.ToString(), $"split at {at}: the stage's body differs");
            }
        }
    }
}
