namespace FastGate.Proxy.Forwarding;

/// <summary>The one await the connection loop performs next; the exchange state machine decides it.</summary>
internal enum IoOperation : byte
{
    ReadClient,
    ReadUpstream,
    FlushClient,
    FlushUpstream,
    Connect,
    /// <summary>Await the request-body pump's end.</summary>
    JoinPump,
    /// <summary>Await the request-head stage that returned an unfinished ValueTask.</summary>
    AwaitStage,
    /// <summary>Await the WebSocket tunnel's end.</summary>
    Tunnel,
    Close,
}
