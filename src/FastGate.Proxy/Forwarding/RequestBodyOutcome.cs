namespace FastGate.Proxy.Forwarding;

/// <summary>How the request-body pump of an exchange ended (or that it has not).</summary>
internal enum RequestBodyOutcome : byte
{
    /// <summary>No pump this exchange (no request body), or the pump is still running.</summary>
    None,
    /// <summary>The whole body reached the upstream.</summary>
    Complete,
    /// <summary>The connection loop stopped it: the exchange ended first.</summary>
    Stopped,
    /// <summary>The client closed or broke the connection mid-body.</summary>
    ClientClosed,
    /// <summary>The chunked framing was invalid: 400.</summary>
    InvalidFraming,
    /// <summary>The body passed the route's max_body_bytes: 413.</summary>
    TooLarge,
    /// <summary>The client sent nothing for idle_timeout: 408.</summary>
    ClientIdle,
    /// <summary>The upstream took nothing for idle_timeout: 504.</summary>
    UpstreamIdle,
    /// <summary>The upstream connection broke or closed; the upstream may still have answered.</summary>
    UpstreamSendFailed,
}
