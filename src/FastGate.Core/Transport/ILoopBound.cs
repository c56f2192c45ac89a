using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Transport;

/// <summary>
/// A transport whose pipes are driven by one event loop: its reads complete and its flushes are
/// taken on the loop thread, so code that reads and writes it runs best there (and may rely on
/// it, as the HTTP/2 connection's loop mode does). A plain loop connection, and TLS on one.
/// </summary>
public interface ILoopBound
{
    /// <summary>The loop that drives the pipes; null when the transport is not bound to one.</summary>
    EventLoop? Loop { get; }
}
