namespace FastGate.Proxy.Forwarding;

/// <summary>Which deadline a connection is armed with; the heartbeat acts on it when it passes.</summary>
internal enum TimeoutKind : byte
{
    None,
    /// <summary>Keep-alive wait for the next request: close quietly.</summary>
    KeepAliveIdle,
    /// <summary>The request head has started but not finished (slowloris): 408.</summary>
    RequestHead,
    /// <summary>Waiting for the upstream's response head: 504.</summary>
    UpstreamResponse,
    /// <summary>No body progress in either direction for idle_timeout: abort.</summary>
    BodyIdle,
    /// <summary>A flush (a head, a last piece, a local answer) not taken for idle_timeout: the peer stopped reading; close.</summary>
    Send,
    /// <summary>The bounded drain of a lingering close is over: close.</summary>
    Linger,
    /// <summary>No byte of the response within the route's first_byte_timeout after the request was sent: 504.</summary>
    FirstByte,
    /// <summary>A stream went stream_idle_timeout without a piece, or reached max_stream_duration: end it at an event boundary, else close.</summary>
    StreamIdle,
}
