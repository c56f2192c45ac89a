namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[cluster.NAME.circuit]</c>: per-cluster caps; 0 is no cap (the default).</summary>
public sealed record CircuitModel
{
    /// <summary>Upstream connections open to the cluster (idle ones included).</summary>
    public int MaxConnections { get; init; }
    /// <summary>Requests waiting for a new upstream connection to open.</summary>
    public int MaxPending { get; init; }
    /// <summary>Requests in flight to the cluster.</summary>
    public int MaxRequests { get; init; }
}
