namespace FastGate.Proxy.Config;

public enum LoadBalancingAlgorithm
{
    RoundRobin,
    WeightedRoundRobin,
    LeastRequest,
    P2c,
    RingHash,
    Maglev,
    Random,
}
