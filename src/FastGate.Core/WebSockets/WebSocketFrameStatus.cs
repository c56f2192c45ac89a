namespace FastGate.Core.WebSockets;

/// <summary>The verdict on the bytes of one direction so far.</summary>
public enum WebSocketFrameStatus : byte
{
    /// <summary>Everything so far is valid (a frame may be incomplete; more bytes will tell).</summary>
    Ok,

    /// <summary>A rule was broken: close both sides with <see cref="WebSocketFrameValidator.CloseCode"/>.</summary>
    Violation,
}
