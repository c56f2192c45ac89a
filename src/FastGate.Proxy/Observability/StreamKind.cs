namespace FastGate.Proxy.Observability;

/// <summary>What a long-lived exchange carries, the <c>kind</c> label of the stream series. WebSocket tunnels have series of their own (<see cref="WebSocketMetrics"/>).</summary>
public enum StreamKind : byte
{
    /// <summary>A <c>text/event-stream</c> response.</summary>
    Sse,
    /// <summary>Another response of a route with <c>streaming = true</c>.</summary>
    Http,
}
