using FastGate.Proxy.Config;

namespace FastGate.Proxy.LoadBalancing;

public static class LoadBalancingPolicies
{
    /// <summary>
    /// The policy for an algorithm. Round robin is what this release implements; the other names
    /// are accepted by the config and served round robin until their policies land.
    /// </summary>
    public static ILoadBalancingPolicy Create(LoadBalancingAlgorithm algorithm) => algorithm switch
    {
        _ => new RoundRobinPolicy(),
    };
}
