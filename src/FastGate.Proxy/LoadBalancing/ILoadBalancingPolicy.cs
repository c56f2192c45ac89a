using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// Picks one endpoint of a cluster for an exchange. One instance per cluster per snapshot;
/// called concurrently, so any state it keeps is atomic or locked. Must not allocate.
/// </summary>
public interface ILoadBalancingPolicy
{
    /// <summary>
    /// Returns an index into <paramref name="endpoints"/>, or -1 when none can serve.
    /// <paramref name="hash"/> identifies the client (its address), for the consistent-hash policies.
    /// </summary>
    int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash);
}
