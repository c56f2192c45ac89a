using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// Power of two choices over peak-EWMA cost (Finagle's and Linkerd's balancer): two endpoints
/// at random, the one with the lower latency estimate × (requests in flight + 1) ÷ weight wins.
/// The estimate (<see cref="LatencyEwma"/>) reacts at once to a slowdown and forgets it over
/// about ten seconds, so a slow endpoint sheds load before its queue builds, which counting
/// requests alone notices only once they pile up.
/// An endpoint with no sample yet costs nothing while it has nothing in flight and a penalty
/// once it has (as Finagle does): it gets a probe at once, then waits for the probe's answer.
/// </summary>
/// <param name="random">Draws the two choices.</param>
/// <param name="time">The clock the estimates decay by, in Stopwatch ticks (the system clock unless a test sets one).</param>
public sealed class PeakEwmaPolicy(Random random, TimeProvider? time = null) : ILoadBalancingPolicy
{
    /// <summary>Seconds; larger than any real estimate × load, so an unmeasured busy endpoint loses to any measured one.</summary>
    private const double Penalty = 1e9;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (endpoints.Length <= 1)
        {
            return endpoints.Length - 1;
        }
        var a = random.Next(endpoints.Length);
        var b = random.Next(endpoints.Length - 1);
        if (b >= a)
        {
            b++;
        }
        var now = _time.GetTimestamp();
        return Cost(endpoints[b], now) < Cost(endpoints[a], now) ? b : a;
    }

    internal static double Cost(EndpointState endpoint, long now)
    {
        var inFlight = endpoint.ActiveRequests;
        var latency = endpoint.Latency;
        if (!latency.HasSample)
        {
            return inFlight == 0 ? 0 : (Penalty + inFlight) / endpoint.Model.Weight;
        }
        return latency.Estimate(now) * (inFlight + 1) / endpoint.Model.Weight;
    }
}
