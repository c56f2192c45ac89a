using FastGate.Proxy.Config;
using static FastGate.Proxy.Tests.Upstreams.UpstreamTestKit;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class ClusterPickTests
{
    [Theory]
    [InlineData(LoadBalancingAlgorithm.RoundRobin)]
    [InlineData(LoadBalancingAlgorithm.WeightedRoundRobin)]
    [InlineData(LoadBalancingAlgorithm.LeastRequest)]
    [InlineData(LoadBalancingAlgorithm.P2c)]
    [InlineData(LoadBalancingAlgorithm.PeakEwma)]
    [InlineData(LoadBalancingAlgorithm.Random)]
    [InlineData(LoadBalancingAlgorithm.RingHash)]
    [InlineData(LoadBalancingAlgorithm.Maglev)]
    public void Pick_EndpointEjected_GoesOnlyToTheOthers(LoadBalancingAlgorithm lb)
    {
        var cluster = Cluster(Model(3, lb));
        Fail(cluster.Endpoints[1], 3, At(0));

        var counts = Count(cluster, 300, At(1));

        Assert.Equal(0, counts[1]);
        Assert.Equal(300, counts[0] + counts[2]);
    }

    [Fact]
    public void Pick_EjectionOver_EndpointTakesTrafficAgain()
    {
        var cluster = Cluster(Model(3));
        Fail(cluster.Endpoints[1], 3, At(0));

        var counts = Count(cluster, 30, At(10));

        Assert.Equal([10, 10, 10], counts);
        Assert.True(cluster.State.AllAvailable);
    }

    [Theory]
    [InlineData(LoadBalancingAlgorithm.RoundRobin)]
    [InlineData(LoadBalancingAlgorithm.Maglev)]
    [InlineData(LoadBalancingAlgorithm.RingHash)]
    public void Pick_Avoid_ReturnsAnotherEndpoint(LoadBalancingAlgorithm lb)
    {
        var cluster = Cluster(Model(3, lb));
        var avoid = cluster.Endpoints[0];

        for (var i = 0; i < 100; i++)
        {
            var hash = (ulong)i * 0x9E3779B97F4A7C15UL;
            var picked = cluster.Pick(hash, avoid);
            Assert.NotNull(picked);
            Assert.NotSame(avoid, picked);
        }
    }

    [Fact]
    public void Pick_AvoidIsTheOnlyEndpointAvailable_ReturnsIt()
    {
        var cluster = Cluster(Model(2) with { PanicThresholdPercent = 0 });
        Fail(cluster.Endpoints[1], 3, At(0));

        Assert.Same(cluster.Endpoints[0], cluster.Pick(1, cluster.Endpoints[0], At(1)));
    }

    [Fact]
    public void Pick_LoneEndpoint_AvoidIsIgnored()
    {
        var cluster = Cluster(Model(1));

        Assert.Same(cluster.Endpoints[0], cluster.Pick(1, cluster.Endpoints[0]));
    }

    [Fact]
    public void Pick_AllOutOfRotationAndPanicOff_ReturnsNull()
    {
        var cluster = Cluster(Model(2) with { PanicThresholdPercent = 0, Outlier = new OutlierModel { MaxEjectionPercent = 100 } });
        Fail(cluster.Endpoints[0], 3, At(0));
        Fail(cluster.Endpoints[1], 3, At(0));

        Assert.Null(cluster.Pick(1, null, At(1)));
    }

    [Fact]
    public void Pick_AvailableShareBelowPanicThreshold_SendsTrafficToAllAndCountsPanic()
    {
        var cluster = Cluster(Model(4) with { PanicThresholdPercent = 50, Outlier = new OutlierModel { MaxEjectionPercent = 100 } });
        Fail(cluster.Endpoints[0], 3, At(0));
        Fail(cluster.Endpoints[1], 3, At(0));
        Fail(cluster.Endpoints[2], 3, At(0));

        var counts = Count(cluster, 400, At(1));

        Assert.Equal([100, 100, 100, 100], counts);
        Assert.Equal(400, cluster.State.PanicPicks);
    }

    [Fact]
    public void Pick_AvailableShareAtPanicThreshold_OnlyAvailableEndpoints()
    {
        var cluster = Cluster(Model(4) with { PanicThresholdPercent = 50, Outlier = new OutlierModel { MaxEjectionPercent = 100 } });
        Fail(cluster.Endpoints[0], 3, At(0));
        Fail(cluster.Endpoints[1], 3, At(0));

        var counts = Count(cluster, 400, At(1));

        Assert.Equal(0, counts[0] + counts[1]);
        Assert.Equal(400, counts[2] + counts[3]);
        Assert.Equal(0, cluster.State.PanicPicks);
    }

    [Fact]
    public void Pick_DownByActiveChecks_CountsTowardPanic()
    {
        var cluster = Cluster(Model(2) with { PanicThresholdPercent = 100, Health = new HealthCheckModel { UnhealthyThreshold = 1 } });
        cluster.Endpoints[0].OnHealthCheck(false, At(0));

        var counts = Count(cluster, 10, At(1));

        Assert.Equal([5, 5], counts);
        Assert.Equal(10, cluster.State.PanicPicks);
    }

    [Fact]
    public void Pick_SlowStart_ShareGrowsOverTheWindowToFull()
    {
        var cluster = Cluster(Model(2) with { SlowStart = TimeSpan.FromSeconds(100), PanicThresholdPercent = 0 });
        var returning = cluster.Endpoints[0];
        Fail(returning, 3, At(-10));
        // The ejection ended at 0: the window runs from 0 to 100.

        var shares = new[] { 20, 50, 80, 100, 150 }.Select(second => Count(cluster, 10_000, At(second))[0] / 10_000.0).ToArray();

        Assert.True(shares[0] < shares[1] && shares[1] < shares[2] && shares[2] < shares[3], string.Join(", ", shares));
        Assert.InRange(shares[0], 0.05, 0.25);
        Assert.Equal(0.5, shares[3]);
        Assert.Equal(0.5, shares[4]);
        Assert.True(cluster.State.AllAvailable);
    }

    [Fact]
    public void Pick_SlowStartAfterActiveChecksBringItBack_ShareReduced()
    {
        var cluster = Cluster(Model(2) with { SlowStart = TimeSpan.FromSeconds(100), Health = new HealthCheckModel { HealthyThreshold = 1, UnhealthyThreshold = 1 } });
        var returning = cluster.Endpoints[0];
        returning.OnHealthCheck(false, At(0));
        returning.OnHealthCheck(true, At(10));

        var share = Count(cluster, 10_000, At(20))[0] / 10_000.0;

        Assert.InRange(share, 0.05, 0.25);
    }

    [Fact]
    public void Pick_LoneEndpointInSlowStart_TakesEveryRequest()
    {
        var cluster = Cluster(Model(1) with { SlowStart = TimeSpan.FromSeconds(100) });
        Fail(cluster.Endpoints[0], 3, At(-10));

        Assert.Equal([1000], Count(cluster, 1000, At(1)));
    }
}
