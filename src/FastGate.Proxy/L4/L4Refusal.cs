namespace FastGate.Proxy.L4;

/// <summary>Why an L4 connection closed before any byte was forwarded; the label of fastgate_l4_refused_total.</summary>
public enum L4Refusal : byte
{
    /// <summary>The cluster had no endpoint to offer.</summary>
    NoEndpoint,
    /// <summary>A cap of the cluster's circuit (max_connections, max_pending) was reached.</summary>
    CircuitOpen,
    /// <summary>Every connect the retry policy allowed failed.</summary>
    ConnectFailed,
    /// <summary>No whole ClientHello within header_timeout.</summary>
    HelloTimeout,
    /// <summary>The client closed before its ClientHello was whole.</summary>
    HelloIncomplete,
    /// <summary>Not TLS, or a ClientHello with bad lengths, versions or names.</summary>
    HelloInvalid,
    /// <summary>A ClientHello larger than the passthrough buffer.</summary>
    HelloOversized,
}
