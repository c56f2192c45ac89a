namespace FastGate.Proxy.Hosting;

/// <summary>How reading the PROXY protocol header at the start of a connection ended.</summary>
public enum ProxyIntakeOutcome : byte
{
    /// <summary>A valid header was read and consumed; serve the connection.</summary>
    Accepted,
    /// <summary>The peer is not in the listener's <c>proxy_protocol_from</c>; close without reading.</summary>
    Untrusted,
    /// <summary>The bytes are not a valid header; close.</summary>
    Invalid,
    /// <summary>No whole header within the listener's <c>header_timeout</c>; close.</summary>
    TimedOut,
    /// <summary>The peer closed (or the socket failed) before a whole header arrived; close.</summary>
    Closed,
}
