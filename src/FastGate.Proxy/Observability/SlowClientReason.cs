namespace FastGate.Proxy.Observability;

/// <summary>Why a client was cut for being slow (the reason label of fastgate_slow_clients_total).</summary>
public enum SlowClientReason
{
    /// <summary>The request head was not whole within header_timeout (slowloris): 408.</summary>
    RequestHead,
    /// <summary>The request body came slower than min_request_body_rate over min_rate_window: 408, or a close once a response had started.</summary>
    RequestBodyRate,
    /// <summary>The client took response bytes slower than min_response_rate over min_rate_window while the proxy waited on it: closed.</summary>
    ResponseRate,
}
