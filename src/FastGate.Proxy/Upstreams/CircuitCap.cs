namespace FastGate.Proxy.Upstreams;

/// <summary>Which per-cluster cap refused a request (named in the 503's <c>X-FastGate-Circuit</c> header).</summary>
public enum CircuitCap : byte
{
    None,
    MaxConnections,
    MaxPending,
    MaxRequests,
}
