using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>The free resend of the keep-alive race: a pooled upstream connection that turns out dead (the retry policy is in RetryPolicyTests).</summary>
public class RetryTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private static string Config() => TestGateway.OneRouteConfig();

    /// <summary>Pools one upstream connection, then makes the upstream drop the next request on it unanswered.</summary>
    private static async Task<(TestGateway Gateway, InMemoryOrigin Origin, InMemoryClient Client)> PooledConnectionThatDropsAsync(RetryModel? retry = null)
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        var gateway = retry is null ? new TestGateway(Config(), origin) : TestGateway.WithClusters(Config(), c => c with { Retry = retry }, null, origin);
        var client = gateway.Connect();
        await client.SendAsync("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await client.ReceiveAsync()).Single());
        var dropped = 0;
        origin.Respond = _ => Interlocked.Increment(ref dropped) == 1 ? "" : Ok;
        return (gateway, origin, client);
    }

    [Fact]
    public async Task Post_PooledConnectionClosedByUpstream_ReachesUpstreamOnceAndAnswers502()
    {
        var (gateway, origin, client) = await PooledConnectionThatDropsAsync();
        using (gateway)
        using (client)
        {
            await client.SendAsync("POST /order HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");

            Assert.StartsWith("HTTP/1.1 502 Bad Gateway\r\n", (await client.ReceiveAsync(2))[1]);
            Assert.Single(origin.Requests, r => r.StartsWith("POST ", StringComparison.Ordinal));
            Assert.Equal(1, origin.Connections);
        }
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task IdempotentMethod_PooledConnectionClosedByUpstream_IsSentAgainOnANewConnection(string method)
    {
        var (gateway, origin, client) = await PooledConnectionThatDropsAsync();
        using (gateway)
        using (client)
        {
            await client.SendAsync($"{method} /item HTTP/1.1\r\nHost: a\r\n\r\n");

            Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await client.ReceiveAsync(2))[1]);
            Assert.Equal(2, origin.Requests.Count(r => r.StartsWith(method + " /item ", StringComparison.Ordinal)));
            Assert.Equal(2, origin.Connections);
        }
    }

    [Fact]
    public async Task Get_PooledConnectionClosedByUpstream_IsSentAgainEvenWithNoRetriesLeft()
    {
        // The resend of the keep-alive race is not a try of the retry policy.
        var (gateway, origin, client) = await PooledConnectionThatDropsAsync(new RetryModel { Attempts = 1 });
        using (gateway)
        using (client)
        {
            await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");

            Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await client.ReceiveAsync(2))[1]);
            Assert.Equal(2, origin.Connections);
        }
    }
}
