using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// The endpoint with the fewest requests in flight, divided by its weight. The scan starts at a
/// rotating offset so ties (the common case at low load) spread like round robin.
/// </summary>
public sealed class LeastRequestPolicy : ILoadBalancingPolicy
{
    private uint _start = uint.MaxValue;

    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (endpoints.Length == 0)
        {
            return -1;
        }
        var start = (int)(Interlocked.Increment(ref _start) % (uint)endpoints.Length);
        var best = start;
        var bestLoad = Load(endpoints[start]);
        for (var n = 1; n < endpoints.Length; n++)
        {
            var i = (start + n) % endpoints.Length;
            var load = Load(endpoints[i]);
            if (load < bestLoad)
            {
                best = i;
                bestLoad = load;
            }
        }
        return best;
    }

    private static double Load(EndpointState endpoint) => (double)endpoint.ActiveRequests / endpoint.Model.Weight;
}
