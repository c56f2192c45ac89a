namespace FastGate.Proxy.WebSockets;

/// <summary>Why a WebSocket tunnel ended (fastgate_websocket_closes_total{reason}).</summary>
public enum WebSocketCloseReason : byte
{
    /// <summary>A close handshake passed through, or a side ended its TCP stream cleanly.</summary>
    Normal,
    /// <summary>A frame broke RFC 6455 (masking, opcodes, control frames, continuation order, close codes): 1002.</summary>
    Violation1002,
    /// <summary>A text message (or close reason) was not valid UTF-8: 1007.</summary>
    Violation1007,
    /// <summary>A frame or message over the route's limits: 1009.</summary>
    Violation1009,
    /// <summary>No byte either way for the stream idle timeout: 1001 to both sides.</summary>
    Idle,
    /// <summary>The route's max_stream_duration passed: 1001 to both sides.</summary>
    MaxDuration,
    /// <summary>The daemon drains (SIGTERM): 1001 to both sides at a message boundary.</summary>
    Drain,
    /// <summary>A side reset its connection or a send failed.</summary>
    Reset,
}
