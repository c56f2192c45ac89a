namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[cluster.NAME]</c>.</summary>
public sealed record ClusterModel
{
    public required string Name { get; init; }
    public required IReadOnlyList<EndpointModel> Endpoints { get; init; }
    public LoadBalancingAlgorithm LoadBalancing { get; init; } = LoadBalancingAlgorithm.RoundRobin;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Idle upstream connections kept per endpoint.</summary>
    public int MaxIdleConnections { get; init; } = 64;
    /// <summary>An idle upstream connection is closed after this long.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public HealthCheckModel? Health { get; init; }
}
