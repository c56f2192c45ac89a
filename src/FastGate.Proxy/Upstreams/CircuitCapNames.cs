namespace FastGate.Proxy.Upstreams;

/// <summary>A cap's name: its key in [cluster.NAME.circuit], the X-FastGate-Circuit value and the metric label.</summary>
public static class CircuitCapNames
{
    public static string Name(this CircuitCap cap) => cap switch
    {
        CircuitCap.MaxConnections => "max_connections",
        CircuitCap.MaxPending => "max_pending",
        CircuitCap.MaxRequests => "max_requests",
        _ => "none",
    };
}
