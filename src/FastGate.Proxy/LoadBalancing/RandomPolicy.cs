using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>An endpoint at random, weighted.</summary>
public sealed class RandomPolicy(Random random) : ILoadBalancingPolicy
{
    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (endpoints.Length == 0)
        {
            return -1;
        }
        long total = 0;
        foreach (var endpoint in endpoints)
        {
            total += endpoint.Model.Weight;
        }
        var ticket = random.NextInt64(total);
        for (var i = 0; i < endpoints.Length; i++)
        {
            ticket -= endpoints[i].Model.Weight;
            if (ticket < 0)
            {
                return i;
            }
        }
        return endpoints.Length - 1;
    }
}
