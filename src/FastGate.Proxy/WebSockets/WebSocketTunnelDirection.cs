using System.IO.Pipelines;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.WebSockets;

/// <summary>
/// One direction of a <see cref="WebSocketTunnel"/>: where it reads, where it writes and how far
/// it is in ending. Held as fields rather than as locals of a pump, because on an event loop a
/// direction is driven from the loop's callbacks (<see cref="WebSocketTunnel.Drive"/>) and goes
/// to an async pump only for what must wait; both read and write the same state. Touched only
/// by whatever runs the direction at the time, one at a time.
/// </summary>
internal sealed class WebSocketTunnelDirection(WebSocketTunnel tunnel, bool fromClient, PipeReader from, PipeWriter to) : IParkedReader
{
    /// <summary>Client to upstream (frames masked); false: upstream to client.</summary>
    public readonly bool FromClient = fromClient;

    public readonly PipeReader From = from;

    public readonly PipeWriter To = to;

    public WebSocketTunnelPhase Phase = WebSocketTunnelPhase.Forwarding;

    /// <summary>
    /// A close of the tunnel's own may still go out: false once a violation stopped a read
    /// mid-message (a close there would be read as payload).
    /// </summary>
    public bool SendClose = true;

    /// <summary>
    /// The direction may park its reader on the loop between reads (a loop socket's reader);
    /// cleared for good once a park is refused (a TLS pipe), and the async pump runs it from then on.
    /// </summary>
    public bool Drivable = true;

    /// <summary>Bytes wait on the reading side (or it ended, or a read was cancelled): the driven direction goes on.</summary>
    void IParkedReader.OnReadable() => tunnel.Drive(this);
}
