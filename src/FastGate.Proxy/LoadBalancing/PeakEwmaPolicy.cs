using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// Power of two choices over peak-EWMA cost (Finagle's and Linkerd's balancer): two endpoints
/// at random, the one with the lower latency estimate × (requests in flight + 1) ÷ weight wins.
/// The estimate (<see cref="LatencyEwma"/>) reacts at once to a slowdown and forgets it over
/// about ten seconds, so a slow endpoint sheds load before its queue builds, which counting
/// requests alone notices only once they pile up. Estimates decay toward zero while unsampled,
/// all at the same rate, so two compare without reading the clock (<see cref="LatencyEwma.RatioTo"/>).
/// An endpoint with no sample yet costs nothing while it has nothing in flight and a penalty
/// once it has (as Finagle does): it gets a probe at once, then waits for the probe's answer.
/// </summary>
/// <param name="random">Draws the two choices.</param>
public sealed class PeakEwmaPolicy(Random random) : ILoadBalancingPolicy
{
    /// <summary>Above any measured endpoint's cost in <see cref="Unmeasured"/>, which ranks the measured ones as 1.</summary>
    private const double Penalty = 2;

    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (endpoints.Length <= 1)
        {
            return endpoints.Length - 1;
        }
        var (a, b) = TwoChoices.Draw(random, endpoints.Length);
        return Cheaper(endpoints[b], endpoints[a]) ? b : a;
    }

    /// <summary>True when <paramref name="x"/> costs less than <paramref name="y"/>.</summary>
    internal static bool Cheaper(EndpointState x, EndpointState y)
    {
        var (lx, ly) = (x.Latency, y.Latency);
        var (nx, ny) = (x.ActiveRequests, y.ActiveRequests);
        if (!lx.HasSample || !ly.HasSample)
        {
            return Unmeasured(lx, nx) < Unmeasured(ly, ny);
        }
        // cost(x) / cost(y) < 1, without a division by a count or weight.
        return lx.RatioTo(ly) * (nx + 1) * y.Model.Weight < (double)(ny + 1) * x.Model.Weight;
    }

    /// <summary>A rank when either endpoint has no sample: a probe's chance first, measured ones next, a probe in flight last.</summary>
    private static double Unmeasured(LatencyEwma latency, long inFlight) =>
        latency.HasSample ? 1 : inFlight == 0 ? 0 : Penalty + inFlight;
}
