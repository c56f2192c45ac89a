using System.Diagnostics;
using System.Net;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Tests.Upstreams;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.LoadBalancing;

public sealed class PeakEwmaPolicyTests
{
    private static EndpointState[] Endpoints(params int[] weights) => weights
        .Select((w, i) => new EndpointState(
            new EndpointModel { Address = $"10.0.0.{i + 1}:80", EndPoint = new IPEndPoint(IPAddress.Parse($"10.0.0.{i + 1}"), 80), HostHeader = "x", Weight = w },
            SocketConnector.Default))
        .ToArray();

    /// <summary>
    /// Sends a request a millisecond for <paramref name="seconds"/> simulated seconds; endpoint i
    /// answers after <paramref name="latencyMs"/>[i]. Returns each endpoint's share of the requests.
    /// </summary>
    private static double[] Simulate(ILoadBalancingPolicy policy, EndpointState[] endpoints, int[] latencyMs, int seconds = 20)
    {
        var counts = new int[endpoints.Length];
        var inFlight = new List<(long Done, int Index, long Latency)>();
        var steps = seconds * 1000;
        for (var step = 0; step < steps; step++)
        {
            var now = UpstreamTestKit.At(step / 1000.0);
            for (var i = inFlight.Count - 1; i >= 0; i--)
            {
                var (done, index, latency) = inFlight[i];
                if (done <= now)
                {
                    endpoints[index].OnResponse(200, latency, done);
                    endpoints[index].OnRequestEnd();
                    inFlight.RemoveAt(i);
                }
            }
            var picked = policy.Pick(endpoints, 0);
            counts[picked]++;
            endpoints[picked].OnRequestStart();
            var ticks = latencyMs[picked] * Stopwatch.Frequency / 1000;
            inFlight.Add((now + ticks, picked, ticks));
        }
        return counts.Select(c => (double)c / steps).ToArray();
    }

    [Fact]
    public void Pick_OneOfThreeSlow_SlowEndpointGetsMuchLessTraffic()
    {
        var endpoints = Endpoints(1, 1, 1);

        var shares = Simulate(new PeakEwmaPolicy(new Random(7)), endpoints, [10, 10, 100]);

        Assert.True(shares[2] < 0.1, string.Join(", ", shares));
        Assert.True(shares[0] > 0.4 && shares[1] > 0.4, string.Join(", ", shares));
    }

    [Fact]
    public void Pick_SameLatencyAndLoad_EndpointsShareEvenly()
    {
        var endpoints = Endpoints(1, 1, 1);

        var shares = Simulate(new PeakEwmaPolicy(new Random(7)), endpoints, [10, 10, 10]);

        Assert.All(shares, share => Assert.InRange(share, 0.28, 0.39));
    }

    [Fact]
    public void Pick_Weights_HeavierEndpointTakesMore()
    {
        var endpoints = Endpoints(3, 1);

        var shares = Simulate(new PeakEwmaPolicy(new Random(7)), endpoints, [10, 10]);

        Assert.True(shares[0] > 0.6, string.Join(", ", shares));
    }

    [Fact]
    public void Pick_SlowEndpointNoLongerPicked_IsTriedAgainAsItsEstimateDecays()
    {
        var endpoints = Endpoints(1, 1);
        endpoints[0].OnResponse(200, Stopwatch.Frequency, UpstreamTestKit.At(0));
        endpoints[1].OnResponse(200, Stopwatch.Frequency / 100, UpstreamTestKit.At(0));
        var policy = new PeakEwmaPolicy(new Random(7));
        Assert.Equal(1, policy.Pick(endpoints, 0));

        // The fast one is still answering in 10 ms 55 s later; the slow one's 1 s, unsampled
        // since, has decayed by e^-5.5 to about 4 ms, so it is tried again.
        endpoints[1].OnResponse(200, Stopwatch.Frequency / 100, UpstreamTestKit.At(55));

        Assert.Equal(0, policy.Pick(endpoints, 0));
    }

    [Fact]
    public void Pick_SameLatency_FewerInFlightWins()
    {
        var endpoints = Endpoints(1, 1);
        endpoints[0].OnResponse(200, Stopwatch.Frequency / 100, UpstreamTestKit.At(0));
        endpoints[1].OnResponse(200, Stopwatch.Frequency / 100, UpstreamTestKit.At(0));
        endpoints[0].OnRequestStart();

        Assert.Equal(1, new PeakEwmaPolicy(new Random(7)).Pick(endpoints, 0));
    }

    [Fact]
    public void Pick_NoSampleYet_ProbedOnceThenWaitsForTheAnswer()
    {
        var endpoints = Endpoints(1, 1);
        endpoints[0].OnResponse(200, Stopwatch.Frequency / 100, UpstreamTestKit.At(0));
        var policy = new PeakEwmaPolicy(new Random(7));

        Assert.Equal(1, policy.Pick(endpoints, 0));
        endpoints[1].OnRequestStart();

        Assert.Equal(0, policy.Pick(endpoints, 0));
    }

    [Fact]
    public void Create_PeakEwma_BuildsThePeakEwmaPolicy()
    {
        var model = new ClusterModel { Name = "c", Endpoints = Endpoints(1, 1).Select(e => e.Model).ToArray(), LoadBalancing = LoadBalancingAlgorithm.PeakEwma };

        Assert.IsType<PeakEwmaPolicy>(LoadBalancingPolicies.Create(model));
    }
}
