namespace FastGate.Proxy.WebSockets;

/// <summary>Where one direction of a <see cref="WebSocketTunnel"/> is.</summary>
internal enum WebSocketTunnelPhase : byte
{
    /// <summary>Validating and copying what comes.</summary>
    Forwarding,
    /// <summary>Sending the tunnel's close (when one can go out) and a FIN to the side this direction writes to.</summary>
    Closing,
    /// <summary>The close and FIN are out: reading and dropping until this side ends.</summary>
    Discarding,
}
