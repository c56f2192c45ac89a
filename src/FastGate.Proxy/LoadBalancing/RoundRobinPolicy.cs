using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>Each endpoint in turn.</summary>
public sealed class RoundRobinPolicy : ILoadBalancingPolicy
{
    private uint _next = uint.MaxValue;

    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (endpoints.Length == 0)
        {
            return -1;
        }
        return (int)(Interlocked.Increment(ref _next) % (uint)endpoints.Length);
    }
}
