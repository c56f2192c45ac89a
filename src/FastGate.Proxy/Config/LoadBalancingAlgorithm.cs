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
    /// <summary>p2c over a peak-sensitive latency EWMA times requests in flight ("peak_ewma").</summary>
    PeakEwma,
}
