using FastGate.Proxy.Upstreams;
using static FastGate.Proxy.Tests.Upstreams.UpstreamTestKit;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class LatencyEwmaTests
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void Observe_FirstSample_IsTheEstimate()
    {
        var ewma = new LatencyEwma();
        Assert.False(ewma.HasSample);

        ewma.Observe(Ticks(0.020), At(0));

        Assert.True(ewma.HasSample);
        Assert.Equal(0.020, ewma.Seconds, Tolerance);
    }

    [Fact]
    public void Observe_SampleAboveTheEstimate_JumpsToItAtOnce()
    {
        var ewma = new LatencyEwma();
        ewma.Observe(Ticks(0.010), At(0));

        ewma.Observe(Ticks(0.300), At(0.001));

        Assert.Equal(0.300, ewma.Seconds, Tolerance);
    }

    [Fact]
    public void Observe_SampleBelowTheEstimate_MovesTowardItByElapsedTime()
    {
        var ewma = new LatencyEwma(TimeSpan.FromSeconds(10));
        ewma.Observe(Ticks(0.100), At(0));

        ewma.Observe(Ticks(0.010), At(10));

        // One tau later the old estimate weighs e^-1.
        var expected = 0.100 * Math.Exp(-1) + 0.010 * (1 - Math.Exp(-1));
        Assert.Equal(expected, ewma.Seconds, Tolerance);
    }

    [Fact]
    public void Observe_SampleBelowTheEstimateAtOnce_BarelyMoves()
    {
        var ewma = new LatencyEwma(TimeSpan.FromSeconds(10));
        ewma.Observe(Ticks(0.100), At(0));

        ewma.Observe(Ticks(0.010), At(0));

        Assert.Equal(0.100, ewma.Seconds, Tolerance);
    }

    [Fact]
    public void Observe_ManyFastSamples_ConvergeOnTheNewLatency()
    {
        var ewma = new LatencyEwma(TimeSpan.FromSeconds(10));
        ewma.Observe(Ticks(0.500), At(0));

        for (var second = 1; second <= 100; second++)
        {
            ewma.Observe(Ticks(0.010), At(second));
        }

        Assert.Equal(0.010, ewma.Seconds, 0.001);
    }

    [Fact]
    public void Observe_PeakOnlyBelowTheEstimate_DoesNotLowerIt()
    {
        var ewma = new LatencyEwma(TimeSpan.FromSeconds(10));
        ewma.Observe(Ticks(0.100), At(0));

        ewma.Observe(Ticks(0.001), At(30), peakOnly: true);

        Assert.Equal(0.100, ewma.Seconds, Tolerance);
        Assert.Equal(0.100, ewma.Estimate(At(30)), Tolerance);
    }

    [Fact]
    public void Estimate_NoSampleSince_DecaysTowardZero()
    {
        var ewma = new LatencyEwma(TimeSpan.FromSeconds(10));
        ewma.Observe(Ticks(0.100), At(0));

        Assert.Equal(0.100, ewma.Estimate(At(0)), Tolerance);
        Assert.Equal(0.100 * Math.Exp(-1), ewma.Estimate(At(10)), Tolerance);
        Assert.Equal(0.100, ewma.Seconds, Tolerance);
    }

    [Fact]
    public void RatioTo_EqualsTheRatioOfTheEstimatesAtAnyMoment()
    {
        var (a, b) = (new LatencyEwma(), new LatencyEwma());
        a.Observe(Ticks(0.050), At(0));
        b.Observe(Ticks(0.020), At(7));

        Assert.Equal(a.Estimate(At(30)) / b.Estimate(At(30)), a.RatioTo(b), Tolerance);
        Assert.Equal(a.Estimate(At(8)) / b.Estimate(At(8)), a.RatioTo(b), Tolerance);
        Assert.Equal(b.Estimate(At(8)) / a.Estimate(At(8)), b.RatioTo(a), Tolerance);
    }

    [Fact]
    public void OnResponse_5xx_DoesNotMakeTheEndpointLookFaster()
    {
        var endpoint = Cluster(Model(2)).Endpoints[0];
        endpoint.OnResponse(200, Ticks(0.200), At(0));

        endpoint.OnResponse(503, Ticks(0.001), At(20));

        Assert.Equal(0.200, endpoint.Latency.Seconds, Tolerance);
    }
}
