using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// What the proxy tells an endpoint about each try (connect failures, failures before a response
/// head, responses), seen through its effect: passive health ejecting the endpoint, or not.
/// </summary>
public class OutcomeReportTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /// <summary>Three endpoints, round robin from the first, no retries: every failure reaches the client.</summary>
    private static (TestGateway Gateway, InMemoryOrigin[] Origins) Cluster(OutlierModel outlier)
    {
        var origins = Enumerable.Range(1, 3).Select(i => new InMemoryOrigin($"127.0.0.1:{9000 + i}")).ToArray();
        var gateway = TestGateway.WithClusters(TestGateway.ClusterConfig(origins.Select(o => o.Name).ToArray()),
            c => c with { Outlier = outlier, Retry = new RetryModel { Attempts = 1 } }, null, origins);
        return (gateway, origins);
    }

    /// <summary>Sends <paramref name="count"/> GETs after <paramref name="before"/> already answered on this client; returns their responses.</summary>
    private static async Task<List<string>> GetAsync(InMemoryClient client, int count, int before = 0)
    {
        for (var i = 0; i < count; i++)
        {
            await client.SendAsync("GET /item HTTP/1.1\r\nHost: a\r\n\r\n");
        }
        return (await client.ReceiveAsync(before + count)).Skip(before).ToList();
    }

    [Fact]
    public async Task ConnectFailures_EjectTheEndpoint()
    {
        var (gateway, origins) = Cluster(new OutlierModel { ConsecutiveFailures = 2 });
        origins[0].RefuseConnects = true;
        using (gateway)
        using (var client = gateway.Connect())
        {
            // Round robin reaches the refusing endpoint on the 1st and 4th request; ejected, it gets no more.
            var responses = await GetAsync(client, 9);

            Assert.Equal(2, origins[0].ConnectAttempts);
            Assert.All(responses.Skip(4), r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
        }
    }

    [Fact]
    public async Task Consecutive5xxResponses_EjectTheEndpoint()
    {
        var (gateway, origins) = Cluster(new OutlierModel { Consecutive5xx = 2 });
        origins[0].Respond = _ => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
        using (gateway)
        using (var client = gateway.Connect())
        {
            var responses = await GetAsync(client, 9);

            Assert.Equal(2, origins[0].Requests.Count);
            Assert.All(responses.Skip(4), r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
        }
    }

    [Fact]
    public async Task PooledConnectionClosedByTheUpstream_IsNotHeldAgainstTheEndpoint()
    {
        // One failure would eject: the keep-alive race must not count as one.
        var (gateway, origins) = Cluster(new OutlierModel { ConsecutiveFailures = 1 });
        using (gateway)
        using (var client = gateway.Connect())
        {
            // A connection to each endpoint goes to its pool.
            await GetAsync(client, 3);
            var dropped = 0;
            origins[0].Respond = _ => Interlocked.Increment(ref dropped) == 1 ? "" : Ok;

            // The 4th request finds the first endpoint's pooled connection closed and is sent again
            // on a new one; the 7th goes to that endpoint as usual.
            var responses = await GetAsync(client, 4, before: 3);

            Assert.All(responses, r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
            Assert.Equal(2, origins[0].Connections);
            Assert.Equal(4, origins[0].Requests.Count);
        }
    }
}
