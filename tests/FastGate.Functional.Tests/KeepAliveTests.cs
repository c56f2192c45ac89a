using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

[Collection(SharedGatewayCollection.Name)]
public sealed class KeepAliveTests(SharedGatewayFixture fixture)
{
    [Fact]
    public async Task Get_HundredSequentialRequests_ReuseOneClientAndOneUpstreamConnection()
    {
        var gateway = fixture.Gateway;
        var upstreamOpen = $"fastgate_upstream_connections{{endpoint=\"{fixture.Upstream.Address}\",state=\"open\"}}";
        var before = await gateway.MetricsAsync();
        var connects = 0;
        using var client = Clients.Http11(gateway.BaseUri, () => Interlocked.Increment(ref connects));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        for (var i = 0; i < 100; i++)
        {
            using var response = await client.GetAsync("/", cts.Token);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("Hello World!", await response.Content.ReadAsStringAsync(cts.Token));
        }

        var after = await gateway.MetricsAsync();
        Assert.Equal(1, connects);
        Assert.Equal(1, FastGateProcess.Metric(after, "fastgate_connections_total") - FastGateProcess.Metric(before, "fastgate_connections_total"));
        // Sequential requests need one upstream connection; any idle one left by earlier tests
        // may be the one reused, so the pool must not have grown by more than one.
        Assert.True(FastGateProcess.Metric(after, upstreamOpen) <= Math.Max(1, FastGateProcess.Metric(before, upstreamOpen)),
            $"upstream connections open before {FastGateProcess.Metric(before, upstreamOpen)}, after {FastGateProcess.Metric(after, upstreamOpen)}");
    }

    [Fact]
    public async Task Get_AfterUpstreamClosedPooledConnection_NextRequestsSucceed()
    {
        // /close answers with Connection: close and closes: that upstream connection must not go
        // back to the pool, or the next request would be sent on a dead socket (502).
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var statuses = new List<int>();

        for (var i = 0; i < 5; i++)
        {
            using var closing = await client.GetAsync("/close", cts.Token);
            statuses.Add((int)closing.StatusCode);
            using var next = await client.GetAsync("/", cts.Token);
            statuses.Add((int)next.StatusCode);
        }

        Assert.All(statuses, status => Assert.Equal(200, status));
    }
}
