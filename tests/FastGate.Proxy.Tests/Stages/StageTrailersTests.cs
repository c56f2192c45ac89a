using FastGate.Proxy.Stages;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.Stages;

/// <summary>
/// A response's trailer section (gRPC's grpc-status among them) reaches the client when the body
/// goes through a stage that rewrites it, as it does on the plain copy path.
/// </summary>
public class StageTrailersTests
{
    private const string Trailers = "grpc-status: 0\r\ngrpc-message: ok\r\n";

    private static DelegateStage Upper() => new("upper", StagePhases.ResponseBody)
    {
        ChangesLength = true,
        ResponseBody = (e, data, end) =>
        {
            foreach (var b in data)
            {
                e.Replacement.GetSpan(1)[0] = (byte)char.ToUpperInvariant((char)b);
                e.Replacement.Advance(1);
            }
            return BodyVerdict.Replace;
        },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChunkedResponseWithTrailers_ThroughRewritingStage_ClientGetsBodyRewrittenAndTrailers(bool trickle)
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            // Trickled, the trailer section comes split over many reads.
            Trickle = trickle,
            Respond = _ => $"HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n{Trailers}\r\n",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [Upper()], origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /svc/Call HTTP/1.1\r\nHost: h\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n");
        var response = await client.ReceiveTextAsync(t => t.EndsWith("grpc-message: ok\r\n\r\n", StringComparison.Ordinal));
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];

        Assert.StartsWith("HTTP/1.1 200 ", response);
        Assert.Equal("HELLO WORLD", ChunkedText.Dechunk(body));
        Assert.EndsWith($"\r\n0\r\n{Trailers}\r\n", body);
    }

    [Fact]
    public async Task TrailersOfOneResponse_NotRepeatedOnTheNextWithout()
    {
        var calls = 0;
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => Interlocked.Increment(ref calls) == 1
                ? $"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n{Trailers}\r\n"
                : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\ncd\r\n0\r\n\r\n",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [Upper()], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
        var first = await client.ReceiveTextAsync(t => t.EndsWith("grpc-message: ok\r\n\r\n", StringComparison.Ordinal));
        await client.SendAsync("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        var both = await client.ReceiveTextAsync(t => t.Length > first.Length && t.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal));
        var second = both[first.Length..];

        Assert.Contains("\r\nAB\r\n", first);
        Assert.Contains("\r\nCD\r\n", second);
        Assert.DoesNotContain("grpc-status", second);
    }

    [Fact]
    public async Task Http10Client_NoChunkedFraming_TrailersDroppedBodyWhole()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => $"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n{Trailers}\r\n",
        };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), _ => [Upper()], origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /x HTTP/1.0\r\nHost: h\r\n\r\n");
        var response = await client.ReceiveTextAsync(_ => false);

        Assert.EndsWith("\r\n\r\nHELLO", response);
        Assert.DoesNotContain("grpc-status", response);
    }
}
