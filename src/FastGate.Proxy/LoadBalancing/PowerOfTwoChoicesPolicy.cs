using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// Power of two choices: two endpoints at random, the one with fewer requests in flight wins.
/// Nearly as good as least-request at O(1), and without a herd on the least loaded endpoint.
/// </summary>
public sealed class PowerOfTwoChoicesPolicy(Random random) : ILoadBalancingPolicy
{
    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (endpoints.Length <= 1)
        {
            return endpoints.Length - 1;
        }
        var (a, b) = TwoChoices.Draw(random, endpoints.Length);
        return endpoints[b].ActiveRequests * endpoints[a].Model.Weight < endpoints[a].ActiveRequests * endpoints[b].Model.Weight ? b : a;
    }
}
