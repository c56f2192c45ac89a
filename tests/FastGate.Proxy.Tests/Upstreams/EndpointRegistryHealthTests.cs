using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.Upstreams;
using static FastGate.Proxy.Tests.Upstreams.UpstreamTestKit;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class EndpointRegistryHealthTests
{
    private static ConfigModel Config(ClusterModel cluster) => new()
    {
        SourcePath = "test.toml",
        Listeners = [],
        Routes = [],
        Clusters = new Dictionary<string, ClusterModel> { [cluster.Name] = cluster },
    };

    private static ClusterModel Cluster(params EndpointModel[] endpoints) => new() { Name = "c", Endpoints = endpoints };

    private static Dictionary<string, Proxy.Upstreams.Cluster> Apply(EndpointRegistry registry, ClusterModel cluster)
    {
        var clusters = registry.Build(Config(cluster), out var plan);
        registry.Commit(plan);
        return clusters;
    }

    [Fact]
    public void Commit_EndpointStays_KeepsItsEjectionLatencyAndCounters()
    {
        var registry = new EndpointRegistry(SocketConnector.Default);
        var before = Apply(registry, Cluster(Endpoint(1), Endpoint(2)))["c"];
        var endpoint = before.Endpoints[0];
        endpoint.OnResponse(200, Ticks(0.025), At(0));
        Fail(endpoint, 3, At(0));
        Assert.True(before.State.TryStartRetry());

        var after = Apply(registry, Cluster(Endpoint(1, weight: 5), Endpoint(2), Endpoint(3)))["c"];

        Assert.Same(endpoint, after.Endpoints[0]);
        Assert.Same(before.State, after.State);
        Assert.Equal(5, endpoint.Model.Weight);
        Assert.False(endpoint.IsAvailable(At(1)));
        Assert.Equal(1, endpoint.Ejections);
        Assert.Equal(0.025, endpoint.Latency.Seconds, 1e-4);
        Assert.Equal(1, after.State.Retries);
        Assert.Equal(1, after.State.EjectedEndpoints);
        Assert.DoesNotContain(endpoint, Enumerable.Range(0, 30).Select(i => after.Pick((ulong)i, null, At(1))));
    }

    [Fact]
    public void Commit_ChangedOutlierSettings_ApplyToTheEndpointThatStays()
    {
        var registry = new EndpointRegistry(SocketConnector.Default);
        var endpoint = Apply(registry, Cluster(Endpoint(1), Endpoint(2)))["c"].Endpoints[0];
        endpoint.OnConnectFailure(At(0));
        Assert.True(endpoint.IsAvailable(At(0)));

        Apply(registry, Cluster(Endpoint(1), Endpoint(2)) with { Outlier = new OutlierModel { ConsecutiveFailures = 1 } });
        endpoint.OnConnectFailure(At(1));

        Assert.False(endpoint.IsAvailable(At(1)));
    }

    [Fact]
    public void Commit_EjectedEndpointLeaves_ClusterCountsItNoMore()
    {
        var registry = new EndpointRegistry(SocketConnector.Default);
        var before = Apply(registry, Cluster(Endpoint(1), Endpoint(2)))["c"];
        Fail(before.Endpoints[1], 3, At(0));
        Assert.False(before.State.AllAvailable);

        var after = Apply(registry, Cluster(Endpoint(1), Endpoint(3)))["c"];

        Assert.Equal(0, after.State.EjectedEndpoints);
        Assert.True(after.State.AllAvailable);
    }

    [Fact]
    public void Commit_MaxEjectionPercent_CountsTheNewEndpointSet()
    {
        var registry = new EndpointRegistry(SocketConnector.Default);
        var two = Apply(registry, Cluster(Endpoint(1), Endpoint(2)))["c"];
        Fail(two.Endpoints[0], 3, At(0));

        // Half of four may be out now: a second ejection is allowed where half of two was not.
        var four = Apply(registry, Cluster(Endpoint(1), Endpoint(2), Endpoint(3), Endpoint(4)))["c"];
        Fail(four.Endpoints[1], 3, At(0));

        Assert.False(four.Endpoints[1].IsAvailable(At(1)));
        Assert.Equal(2, four.State.EjectedEndpoints);
    }
}
