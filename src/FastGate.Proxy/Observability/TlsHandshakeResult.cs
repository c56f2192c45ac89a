namespace FastGate.Proxy.Observability;

/// <summary>How a TLS handshake on a listener ended.</summary>
public enum TlsHandshakeResult
{
    Ok,
    /// <summary>Refused or broken: no common version, cipher or ALPN protocol, a bad client certificate, bytes that are not TLS, a client that left.</summary>
    Failed,
    /// <summary>Not finished within the listener's handshake_timeout.</summary>
    Timeout,
}
