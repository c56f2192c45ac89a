using FastGate.Proxy.Config;
using static FastGate.Proxy.Tests.Upstreams.UpstreamTestKit;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class EndpointHealthTests
{
    private static Proxy.Upstreams.Cluster Four(OutlierModel? outlier = null, HealthCheckModel? health = null) =>
        Cluster(Model(4) with { Outlier = outlier ?? new OutlierModel(), Health = health });

    [Fact]
    public void OnConnectFailure_ThresholdReached_EjectsForBaseEjectionTime()
    {
        var endpoint = Four().Endpoints[0];

        Fail(endpoint, 2, At(0));
        Assert.True(endpoint.IsAvailable(At(0)));
        endpoint.OnConnectFailure(At(0));

        Assert.False(endpoint.IsAvailable(At(0)));
        Assert.False(endpoint.IsAvailable(At(9.9)));
        Assert.True(endpoint.IsAvailable(At(10)));
        Assert.Equal(1, endpoint.Ejections);
    }

    [Fact]
    public void Eject_InARow_DoublesEachTimeUpToMaxEjectionTime()
    {
        var endpoint = Four(new OutlierModel { BaseEjectionTime = TimeSpan.FromSeconds(10), MaxEjectionTime = TimeSpan.FromSeconds(35) }).Endpoints[0];
        var lengths = new List<double>();
        var now = At(0);
        for (var ejection = 0; ejection < 4; ejection++)
        {
            Fail(endpoint, 3, now);
            var until = endpoint.EjectedUntil;
            Assert.False(endpoint.IsAvailable(until - 1));
            Assert.True(endpoint.IsAvailable(until));
            lengths.Add((double)(until - now) / Ticks(1));
            now = until;
        }

        Assert.Equal([10, 20, 35, 35], lengths);
        Assert.Equal(4, endpoint.Ejections);
    }

    [Fact]
    public void Eject_AfterStayingHealthy_BackOffHasDecayed()
    {
        var endpoint = Four().Endpoints[0];
        Fail(endpoint, 3, At(0));
        Fail(endpoint, 3, At(10));
        Assert.Equal(At(30), endpoint.EjectedUntil);

        // Two base ejection times in rotation take the two ejections in a row off again.
        Fail(endpoint, 3, At(50));

        Assert.Equal(At(60), endpoint.EjectedUntil);
    }

    [Fact]
    public void OnResponse_Consecutive5xx_Ejects()
    {
        var endpoint = Four(new OutlierModel { Consecutive5xx = 2 }).Endpoints[0];

        endpoint.OnResponse(503, Ticks(0.01), At(0));
        endpoint.OnResponse(200, Ticks(0.01), At(0));
        endpoint.OnResponse(502, Ticks(0.01), At(0));
        Assert.True(endpoint.IsAvailable(At(0)));
        endpoint.OnResponse(500, Ticks(0.01), At(0));

        Assert.False(endpoint.IsAvailable(At(0)));
    }

    [Fact]
    public void OnResponse_5xxWhenConsecutive5xxOff_NeverEjects()
    {
        var endpoint = Four().Endpoints[0];

        for (var i = 0; i < 20; i++)
        {
            endpoint.OnResponse(503, Ticks(0.01), At(0));
        }

        Assert.True(endpoint.IsAvailable(At(0)));
    }

    [Fact]
    public void OnResponse_AnyStatus_EndsARunOfConnectFailures()
    {
        var endpoint = Four().Endpoints[0];

        Fail(endpoint, 2, At(0));
        endpoint.OnResponse(502, Ticks(0.01), At(0));
        Fail(endpoint, 2, At(0));
        Assert.True(endpoint.IsAvailable(At(0)));
        endpoint.OnFailure(At(0));

        Assert.False(endpoint.IsAvailable(At(0)));
    }

    [Fact]
    public void OnConnectFailure_ConsecutiveFailuresOff_NeverEjects()
    {
        var endpoint = Four(new OutlierModel { ConsecutiveFailures = 0 }).Endpoints[0];

        Fail(endpoint, 50, At(0));

        Assert.True(endpoint.IsAvailable(At(0)));
        Assert.Equal(0, endpoint.Ejections);
    }

    [Theory]
    [InlineData(4, 50, 2)]
    [InlineData(3, 50, 1)]
    [InlineData(10, 30, 3)]
    [InlineData(2, 10, 1)]
    [InlineData(1, 50, 1)]
    [InlineData(4, 100, 4)]
    public void Eject_EveryEndpointFailing_EjectsAtMostMaxEjectionPercentButAlwaysOne(int endpoints, int maxPercent, int expected)
    {
        var cluster = Cluster(Model(endpoints) with { Outlier = new OutlierModel { MaxEjectionPercent = maxPercent }, PanicThresholdPercent = 0 });

        foreach (var endpoint in cluster.Endpoints)
        {
            Fail(endpoint, 3, At(0));
        }

        var ejected = 0;
        foreach (var endpoint in cluster.Endpoints)
        {
            ejected += endpoint.IsAvailable(At(1)) ? 0 : 1;
        }
        Assert.Equal(expected, ejected);
        Assert.Equal(expected, cluster.State.EjectedEndpoints);
    }

    [Fact]
    public void Eject_RefusedByMaxEjectionPercent_SucceedsOnceAnEarlierEjectionHasEnded()
    {
        var cluster = Cluster(Model(2) with { Outlier = new OutlierModel { MaxEjectionPercent = 50 } });
        var (first, second) = (cluster.Endpoints[0], cluster.Endpoints[1]);
        Fail(first, 3, At(0));
        Fail(second, 3, At(5));
        Assert.True(second.IsAvailable(At(5)));

        // The first ejection ended at 10 with nobody looking: the refusal must not count it.
        Fail(second, 3, At(11));

        Assert.True(first.IsAvailable(At(11)));
        Assert.False(second.IsAvailable(At(11)));
    }

    [Fact]
    public void OnHealthCheck_Thresholds_TakeDownAndBringBack()
    {
        var endpoint = Four(health: new HealthCheckModel { HealthyThreshold = 2, UnhealthyThreshold = 3 }).Endpoints[0];
        Assert.True(endpoint.IsAvailable(At(0)));

        endpoint.OnHealthCheck(false, At(0));
        endpoint.OnHealthCheck(false, At(0));
        endpoint.OnHealthCheck(true, At(0));
        endpoint.OnHealthCheck(false, At(0));
        endpoint.OnHealthCheck(false, At(0));
        Assert.True(endpoint.IsAvailable(At(0)));
        endpoint.OnHealthCheck(false, At(0));
        Assert.False(endpoint.IsAvailable(At(0)));
        Assert.True(endpoint.IsDown);

        endpoint.OnHealthCheck(true, At(1));
        Assert.False(endpoint.IsAvailable(At(1)));
        endpoint.OnHealthCheck(true, At(2));
        Assert.True(endpoint.IsAvailable(At(2)));
    }

    [Fact]
    public void OnHealthCheck_Passing_DoesNotEndAPassiveEjection()
    {
        var endpoint = Four(health: new HealthCheckModel { HealthyThreshold = 1 }).Endpoints[0];
        Fail(endpoint, 3, At(0));

        endpoint.OnHealthCheck(true, At(1));
        endpoint.OnHealthCheck(true, At(2));

        Assert.False(endpoint.IsAvailable(At(2)));
        Assert.True(endpoint.IsAvailable(At(10)));
    }

    [Fact]
    public void OnHealthCheck_BringingBackAnEndpointItTookDown_EndsItsEjection()
    {
        var cluster = Four(health: new HealthCheckModel { HealthyThreshold = 2, UnhealthyThreshold = 2 });
        var endpoint = cluster.Endpoints[0];
        // Killed: requests fail and eject it, and the checks take it down.
        Fail(endpoint, 3, At(0));
        endpoint.OnHealthCheck(false, At(0.5));
        endpoint.OnHealthCheck(false, At(1));
        Assert.True(endpoint.IsDown);

        // Restarted: the checks pass healthy_threshold times, well before the 10 s back-off ends.
        endpoint.OnHealthCheck(true, At(2));
        Assert.False(endpoint.IsAvailable(At(2)));
        endpoint.OnHealthCheck(true, At(3));

        Assert.True(endpoint.IsAvailable(At(3)));
        Assert.Equal(0, cluster.State.EjectedEndpoints);
    }

    [Fact]
    public void Retire_EjectedAndDown_NoLongerCountsInItsCluster()
    {
        var cluster = Four(health: new HealthCheckModel { UnhealthyThreshold = 1 });
        Fail(cluster.Endpoints[0], 3, At(0));
        cluster.Endpoints[1].OnHealthCheck(false, At(0));
        Assert.Equal((1, 1), (cluster.State.EjectedEndpoints, cluster.State.DownEndpoints));

        cluster.Endpoints[0].Retire();
        cluster.Endpoints[1].Retire();

        Assert.Equal((0, 0), (cluster.State.EjectedEndpoints, cluster.State.DownEndpoints));
        Assert.True(cluster.State.AllAvailable);
    }
}
