using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Tests.Stages;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// Retries by the cluster's policy ([cluster.NAME.retry]): which failures go to another
/// endpoint, which requests may be sent again, and that the client sees one answer.
/// </summary>
public class RetryPolicyTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private const string Unavailable = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";

    private static TestGateway Gateway(RetryModel retry, params InMemoryOrigin[] origins) => Gateway(retry, null, origins);

    private static TestGateway Gateway(RetryModel retry, Func<RouteModel, IReadOnlyList<Stage>>? stages, params InMemoryOrigin[] origins) =>
        TestGateway.WithClusters(TestGateway.ClusterConfig(origins.Select(o => o.Name).ToArray()), c => c with { Retry = retry }, stages, origins);

    private static InMemoryOrigin[] Origins(int count) =>
        Enumerable.Range(1, count).Select(i => new InMemoryOrigin($"127.0.0.1:{9000 + i}")).ToArray();

    /// <summary>The first request any of <paramref name="origins"/> gets is answered <paramref name="first"/> ("" closes unanswered); every later one OK.</summary>
    private static void FirstAnswered(string first, params InMemoryOrigin[] origins)
    {
        var seen = 0;
        foreach (var origin in origins)
        {
            origin.Respond = _ => Interlocked.Increment(ref seen) == 1 ? first : Ok;
        }
    }

    private static int RequestsTo(params InMemoryOrigin[] origins) => origins.Sum(o => o.Requests.Count);

    [Fact]
    public async Task Get_EndpointRefusesConnect_AnsweredByTheOther()
    {
        var (refusing, serving) = (new InMemoryOrigin("127.0.0.1:9001") { RefuseConnects = true }, new InMemoryOrigin("127.0.0.1:9002"));
        using var gateway = Gateway(new RetryModel(), refusing, serving);
        using var client = gateway.Connect();

        // Round robin sends one of the two requests to the refusing endpoint first.
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await client.ReceiveAsync(i + 1))[i]);
        }

        Assert.True(refusing.ConnectAttempts >= 1);
        Assert.Equal(2, serving.Requests.Count);
    }

    [Fact]
    public async Task Post_StreamedBody_IsNotRetried()
    {
        var origins = Origins(2);
        foreach (var origin in origins)
        {
            origin.Respond = _ => "";
        }
        using var gateway = Gateway(new RetryModel { Attempts = 3, On = RetryConditions.Reset | RetryConditions.ConnectFailure, Methods = ["POST"] }, origins);
        using var client = gateway.Connect();

        await client.SendAsync("POST /order HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");

        Assert.StartsWith("HTTP/1.1 502 Bad Gateway\r\n", (await client.ReceiveAsync()).Single());
        Assert.Equal(1, RequestsTo(origins));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Post_BodyInHand_RetriedOnlyWhenMethodsNamePost(bool postListed)
    {
        var origins = Origins(2);
        FirstAnswered("", origins);
        // A request-body stage makes the route read the body whole before going upstream.
        IReadOnlyList<Stage> Buffering(RouteModel route) => [new DelegateStage("whole-body", StagePhases.RequestBody)];
        var retry = new RetryModel { Methods = postListed ? ["POST"] : [] };
        using var gateway = Gateway(retry, Buffering, origins);
        using var client = gateway.Connect();

        await client.SendAsync("POST /order HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        var response = (await client.ReceiveAsync()).Single();

        if (postListed)
        {
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
            Assert.Equal(2, RequestsTo(origins));
            Assert.All(origins.SelectMany(o => o.Requests), r => Assert.EndsWith("\r\n\r\nhello", r));
        }
        else
        {
            Assert.StartsWith("HTTP/1.1 502 Bad Gateway\r\n", response);
            Assert.Equal(1, RequestsTo(origins));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Get_Status503_RetriedOnlyWhenStatusesName503(bool listed)
    {
        var origins = Origins(2);
        FirstAnswered(Unavailable, origins);
        var retry = listed ? new RetryModel { On = RetryConditions.Status, Statuses = [502, 503] } : new RetryModel();
        using var gateway = Gateway(retry, origins);
        using var client = gateway.Connect();

        await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        // The retried 503 never reaches the client: its first answer is the retry's.
        Assert.StartsWith(listed ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n", responses[0]);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", responses[1]);
        Assert.Equal(listed ? 3 : 2, RequestsTo(origins));
    }

    [Fact]
    public async Task Get_ResetAfterTheResponseHeadWentOut_IsNotRetried()
    {
        var origins = Origins(2);
        foreach (var origin in origins)
        {
            origin.Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
            origin.CloseAfterResponse = true;
        }
        var retry = new RetryModel { Attempts = 3, On = RetryConditions.Reset | RetryConditions.ConnectFailure | RetryConditions.Timeout };
        using var gateway = Gateway(retry, origins);
        using var client = gateway.Connect();

        await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");
        var text = await client.ReceiveTextAsync(_ => false);

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.EndsWith("\r\n\r\nabc", text);
        Assert.Equal(1, RequestsTo(origins));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Get_EveryTryAnswers503_TriesAttemptsTimesThenPassesTheLast503On(int attempts)
    {
        var origins = Origins(3);
        foreach (var origin in origins)
        {
            origin.Respond = _ => Unavailable;
        }
        using var gateway = Gateway(new RetryModel { Attempts = attempts, On = RetryConditions.Status, Statuses = [503] }, origins);
        using var client = gateway.Connect();

        await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.EndsWith("\r\n\r\nbusy", (await client.ReceiveAsync()).Single());
        Assert.Equal(attempts, RequestsTo(origins));
    }

    [Fact]
    public async Task Get_Retried_GoesToAnotherEndpoint()
    {
        var origins = Origins(2);
        FirstAnswered(Unavailable, origins);
        using var gateway = Gateway(new RetryModel { On = RetryConditions.Status, Statuses = [503] }, origins);
        using var client = gateway.Connect();

        await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await client.ReceiveAsync()).Single());
        Assert.All(origins, o => Assert.Single(o.Requests));
    }

    [Fact]
    public async Task Get_RetriedUnderAHashPolicy_StillGoesToAnotherEndpoint()
    {
        // A hash policy picks the same endpoint for the same client every time: only the pick's
        // avoid can send the retry elsewhere.
        var origins = Origins(2);
        FirstAnswered(Unavailable, origins);
        var retry = new RetryModel { On = RetryConditions.Status, Statuses = [503] };
        using var gateway = TestGateway.WithClusters(TestGateway.ClusterConfig(origins.Select(o => o.Name).ToArray()),
            c => c with { Retry = retry, LoadBalancing = LoadBalancingAlgorithm.RingHash }, null, origins);
        using var client = gateway.Connect();

        await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await client.ReceiveAsync()).Single());
        Assert.All(origins, o => Assert.Single(o.Requests));
    }

    [Fact]
    public async Task Get_RetryBudgetSpent_ClientGetsTheOriginalAnswer()
    {
        var origins = Origins(2);
        FirstAnswered(Unavailable, origins);
        var retry = new RetryModel { On = RetryConditions.Status, Statuses = [503], BudgetPercent = 0, BudgetMinimum = 0 };
        using var gateway = Gateway(retry, origins);
        using var client = gateway.Connect();

        await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", (await client.ReceiveAsync()).Single());
        Assert.Equal(1, RequestsTo(origins));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Get_PerTryTimeoutPasses_RetriedWhenTimeoutIsListedElse504(bool timeoutListed)
    {
        var origins = Origins(2);
        // The first try's upstream never answers; the route's own timeout is 60 s.
        var never = new TaskCompletionSource();
        var seen = 0;
        foreach (var origin in origins)
        {
            origin.HoldEach = _ => Interlocked.Increment(ref seen) == 1 ? never.Task : Task.CompletedTask;
        }
        var retry = new RetryModel
        {
            PerTryTimeout = TimeSpan.FromSeconds(1),
            On = timeoutListed ? RetryConditions.Timeout : RetryConditions.ConnectFailure | RetryConditions.Reset,
        };
        using var gateway = Gateway(retry, origins);
        using var client = gateway.Connect(out var connection);
        try
        {
            await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");
            await WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.UpstreamResponse);

            // Two seconds on: past the per-try timeout, well within the route's. Fired once, so
            // only the first try's deadline can pass.
            connection.OnHeartbeat(Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency);
            var response = (await client.ReceiveAsync()).Single();

            Assert.StartsWith(timeoutListed ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 504 Gateway Timeout\r\n", response);
            Assert.Equal(timeoutListed ? 2 : 1, RequestsTo(origins));
        }
        finally
        {
            never.SetResult();
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var giveUp = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < giveUp, "the condition did not hold within 10 s");
            await Task.Delay(5);
        }
    }
}
