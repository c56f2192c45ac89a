namespace FastGate.Proxy.Forwarding;

/// <summary>Where an HTTP/1 exchange stands; each names the I/O it is waiting on.</summary>
internal enum ExchangeState : byte
{
    /// <summary>Reading client bytes for the next request head (keep-alive idle, then header timeout).</summary>
    ReadingHead,
    /// <summary>Opening a new upstream connection.</summary>
    Connecting,
    /// <summary>Flushing our 100 Continue to the client (before streaming the body upstream, or reading it whole for the stages).</summary>
    SendingContinue,
    /// <summary>Flushing a request without a body upstream (a body streams on the pump).</summary>
    FlushingRequest,
    /// <summary>Waiting for the upstream response head (route timeout).</summary>
    ReadingResponseHead,
    /// <summary>Reading response body bytes from the upstream.</summary>
    ReadingResponseBody,
    /// <summary>Flushing a piece of response body to the client; more follows.</summary>
    FlushingResponseBody,
    /// <summary>Flushing the end of the response to the client.</summary>
    FlushingResponse,
    /// <summary>Flushing a response the proxy made itself (an error, usually).</summary>
    FlushingLocal,
    /// <summary>Waiting for the request-body pump to end before the exchange does.</summary>
    JoiningPump,
    /// <summary>Waiting for a request-head stage that could not decide at once (a remote counter, say).</summary>
    AwaitingStage,
    /// <summary>Reading the request body into the exchange for the route's body stages.</summary>
    BufferingRequestBody,
    /// <summary>Answered and sent our FIN; discarding what the client still sends before closing.</summary>
    Lingering,
    /// <summary>Flushing the upstream's checked 101 to the client; the WebSocket tunnel follows.</summary>
    SendingSwitch,
    /// <summary>A WebSocket tunnel runs on the connection until both sides are done.</summary>
    Tunneling,
}
