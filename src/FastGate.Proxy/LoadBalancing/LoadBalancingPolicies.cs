using FastGate.Proxy.Config;

namespace FastGate.Proxy.LoadBalancing;

public static class LoadBalancingPolicies
{
    /// <summary>The policy for a cluster's <c>lb</c>, built for its endpoints.</summary>
    public static ILoadBalancingPolicy Create(ClusterModel cluster, Random? random = null)
    {
        var addresses = cluster.Endpoints.Select(e => e.Address).ToArray();
        var weights = cluster.Endpoints.Select(e => e.Weight).ToArray();
        return cluster.LoadBalancing switch
        {
            LoadBalancingAlgorithm.WeightedRoundRobin => new WeightedRoundRobinPolicy(addresses.Length),
            LoadBalancingAlgorithm.LeastRequest => new LeastRequestPolicy(),
            LoadBalancingAlgorithm.P2c => new PowerOfTwoChoicesPolicy(random ?? Random.Shared),
            LoadBalancingAlgorithm.PeakEwma => new PeakEwmaPolicy(random ?? Random.Shared),
            LoadBalancingAlgorithm.Random => new RandomPolicy(random ?? Random.Shared),
            LoadBalancingAlgorithm.RingHash => new RingHashPolicy(addresses, weights),
            LoadBalancingAlgorithm.Maglev => new MaglevPolicy(addresses, weights),
            _ => new RoundRobinPolicy(),
        };
    }
}
