using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// Smooth weighted round robin (nginx's algorithm): each pick adds every endpoint's weight to its
/// running score, takes the highest and subtracts the total from it. Weights 5,1,1 give
/// a a b a c a a rather than a a a a a b c, so no endpoint gets a burst.
/// </summary>
public sealed class WeightedRoundRobinPolicy(int endpointCount) : ILoadBalancingPolicy
{
    private readonly object _lock = new();
    private readonly long[] _current = new long[endpointCount];

    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (endpoints.Length == 0)
        {
            return -1;
        }
        lock (_lock)
        {
            long total = 0;
            var best = 0;
            for (var i = 0; i < endpoints.Length; i++)
            {
                var weight = endpoints[i].Model.Weight;
                _current[i] += weight;
                total += weight;
                if (_current[i] > _current[best])
                {
                    best = i;
                }
            }
            _current[best] -= total;
            return best;
        }
    }
}
