using System.Text;
using FastGate.Core.Http1;
using FastGate.Proxy.Config;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Tests.Stages;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// Per-cluster circuit caps ([cluster.NAME.circuit]): over a cap the client gets 503 at once,
/// with X-FastGate-Circuit naming the cap, and the count is given back when the exchange ends.
/// </summary>
public class CircuitTests
{
    private static TestGateway Gateway(CircuitModel circuit, InMemoryOrigin origin, Func<RouteModel, IReadOnlyList<Stage>>? stages = null) =>
        TestGateway.WithClusters(TestGateway.ClusterConfig(origin.Name), c => c with { Circuit = circuit }, stages, origin);

    [Theory]
    [InlineData("max_connections")]
    [InlineData("max_pending")]
    [InlineData("max_requests")]
    public void CircuitOpen_EachCap_Is503NamingTheCapWithItsBodyLength(string cap)
    {
        var response = Encoding.ASCII.GetString(Http1StatusResponses.CircuitOpen(Encoding.ASCII.GetBytes(cap), close: false));
        var head = Encoding.ASCII.GetString(Http1StatusResponses.CircuitOpenHead(Encoding.ASCII.GetBytes(cap), close: true));

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", response);
        Assert.Contains($"\r\nX-FastGate-Circuit: {cap}\r\n", response);
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.Equal(body.Length.ToString(), InMemoryOrigin.HeaderValue(response, "Content-Length"));
        Assert.DoesNotContain("Connection: close", response);
        Assert.EndsWith("\r\nConnection: close\r\n\r\n", head);
        Assert.Contains($"\r\nX-FastGate-Circuit: {cap}\r\n", head);
    }

    [Fact]
    public async Task Get_MaxRequestsReached_503NamingMaxRequestsThenServedOnceTheFirstEnds()
    {
        var release = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = release.Task };
        using var gateway = Gateway(new CircuitModel { MaxRequests = 1 }, origin);
        using var first = gateway.Connect();
        using var second = gateway.Connect();

        await first.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => origin.Requests.Count == 1);
        await second.SendAsync("GET /other HTTP/1.1\r\nHost: a\r\n\r\n");
        var refused = (await second.ReceiveAsync()).Single();
        release.SetResult();

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", refused);
        Assert.Equal("max_requests", InMemoryOrigin.HeaderValue(refused, "X-FastGate-Circuit"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await first.ReceiveAsync()).Single());
        Assert.Single(origin.Requests);
        // The first request's count was given back: the next one is served.
        await second.SendAsync("GET /other HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await second.ReceiveAsync(2))[1]);
    }

    [Fact]
    public async Task Get_MaxConnectionsReached_503NamingMaxConnections()
    {
        var release = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = release.Task };
        using var gateway = Gateway(new CircuitModel { MaxConnections = 1 }, origin);
        using var first = gateway.Connect();
        using var second = gateway.Connect();

        await first.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => origin.Requests.Count == 1);
        await second.SendAsync("HEAD /other HTTP/1.1\r\nHost: a\r\n\r\n");
        var refused = await second.ReceiveTextAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal));
        release.SetResult();

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", refused);
        Assert.Equal("max_connections", InMemoryOrigin.HeaderValue(refused, "X-FastGate-Circuit"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await first.ReceiveAsync()).Single());
        Assert.Equal(1, origin.Connections);
    }

    [Fact]
    public async Task Get_MaxPendingReached_503NamingMaxPending()
    {
        var connected = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { ConnectHold = connected.Task };
        using var gateway = Gateway(new CircuitModel { MaxPending = 1 }, origin);
        using var first = gateway.Connect();
        using var second = gateway.Connect();

        await first.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => origin.ConnectAttempts == 1);
        await second.SendAsync("GET /other HTTP/1.1\r\nHost: a\r\n\r\n");
        var refused = (await second.ReceiveAsync()).Single();
        connected.SetResult();

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", refused);
        Assert.Equal("max_pending", InMemoryOrigin.HeaderValue(refused, "X-FastGate-Circuit"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await first.ReceiveAsync()).Single());
        Assert.Equal(1, origin.ConnectAttempts);
    }

    [Fact]
    public async Task Get_CircuitOpenOnARouteWhoseStagesEditTheResponse_KeepsBothTheEditAndTheCapHeader()
    {
        var release = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = release.Task };
        IReadOnlyList<Stage> Edit(RouteModel route) =>
        [
            new DelegateStage("edit", StagePhases.RequestHead)
            {
                RequestHead = exchange =>
                {
                    exchange.ResponseHeaders.Set("X-Edited"u8, "yes"u8);
                    return new(StageOutcome.Continue);
                },
            },
        ];
        using var gateway = Gateway(new CircuitModel { MaxRequests = 1 }, origin, Edit);
        using var first = gateway.Connect();
        using var second = gateway.Connect();

        await first.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(() => origin.Requests.Count == 1);
        await second.SendAsync("GET /other HTTP/1.1\r\nHost: a\r\n\r\n");
        var refused = (await second.ReceiveAsync()).Single();
        release.SetResult();

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", refused);
        Assert.Equal("max_requests", InMemoryOrigin.HeaderValue(refused, "X-FastGate-Circuit"));
        Assert.Equal("yes", InMemoryOrigin.HeaderValue(refused, "X-Edited"));
    }
}
