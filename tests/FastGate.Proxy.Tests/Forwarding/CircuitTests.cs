using System.Text;
using FastGate.Core.Http1;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Upstreams;
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

    /// <summary>
    /// Sends a GET on <paramref name="first"/> and, once <paramref name="arrived"/> says the origin side
    /// holds it, <paramref name="method"/> on <paramref name="second"/>; returns the second's answer and
    /// only then lets the first go on with <paramref name="release"/>, so the cap is full when the second asks.
    /// </summary>
    private static async Task<string> SecondWhileFirstHeldAsync(
        InMemoryClient first, InMemoryClient second, Func<bool> arrived, TaskCompletionSource release, string method = "GET")
    {
        await first.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await RetryPolicyTests.WaitUntilAsync(arrived);
        await second.SendAsync($"{method} /other HTTP/1.1\r\nHost: a\r\n\r\n");
        // A HEAD answer has a Content-Length but no body: read up to the end of the head.
        var answer = method == "HEAD"
            ? await second.ReceiveTextAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal))
            : (await second.ReceiveAsync()).Single();
        release.SetResult();
        return answer;
    }

    private static void AssertCircuitOpen(string response, string cap)
    {
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", response);
        Assert.Equal(cap, InMemoryOrigin.HeaderValue(response, "X-FastGate-Circuit"));
    }

    [Theory]
    [InlineData(CircuitCap.MaxConnections, "max_connections")]
    [InlineData(CircuitCap.MaxPending, "max_pending")]
    [InlineData(CircuitCap.MaxRequests, "max_requests")]
    public void CircuitOpen_EachCap_Is503NamingTheCapWithItsBodyLength(CircuitCap circuitCap, string cap)
    {
        var response = Encoding.ASCII.GetString(CircuitAnswers.Response(circuitCap, close: false, headOnly: false));
        var head = Encoding.ASCII.GetString(CircuitAnswers.Response(circuitCap, close: true, headOnly: true));

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

        var refused = await SecondWhileFirstHeldAsync(first, second, () => origin.Requests.Count == 1, release);

        AssertCircuitOpen(refused, "max_requests");
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

        var refused = await SecondWhileFirstHeldAsync(first, second, () => origin.Requests.Count == 1, release, "HEAD");

        AssertCircuitOpen(refused, "max_connections");
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

        var refused = await SecondWhileFirstHeldAsync(first, second, () => origin.ConnectAttempts == 1, connected);

        AssertCircuitOpen(refused, "max_pending");
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

        var refused = await SecondWhileFirstHeldAsync(first, second, () => origin.Requests.Count == 1, release);

        AssertCircuitOpen(refused, "max_requests");
        Assert.Equal("yes", InMemoryOrigin.HeaderValue(refused, "X-Edited"));
    }
}
