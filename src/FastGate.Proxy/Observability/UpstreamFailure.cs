namespace FastGate.Proxy.Observability;

/// <summary>Why an exchange could not get a good answer from its upstream endpoint.</summary>
public enum UpstreamFailure : byte
{
    ConnectRefused,
    ConnectTimeout,
    /// <summary>The endpoint's DNS name did not resolve.</summary>
    Unresolvable,
    /// <summary>Any other error while connecting (unreachable network, no route...).</summary>
    ConnectFailed,
    /// <summary>The TLS handshake with the upstream failed (certificate refused, protocol error).</summary>
    TlsHandshakeFailed,
    /// <summary>The connection broke (reset, or closed) while the request was being sent.</summary>
    SendFailed,
    /// <summary>The upstream stopped taking the request for idle_timeout.</summary>
    SendTimeout,
    /// <summary>The connection broke or closed before a complete response head.</summary>
    ClosedBeforeResponse,
    /// <summary>The response head was malformed, too large, or not an answer a proxy can forward.</summary>
    BadResponseHead,
    /// <summary>No response head within the route's timeout.</summary>
    ResponseTimeout,
    /// <summary>The response body broke off, stalled for idle_timeout, or had invalid framing.</summary>
    ResponseBodyFailed,
}
