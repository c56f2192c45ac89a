namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// Waits for a connection to become readable with no read pending: what an idle keep-alive
/// connection does instead of holding an awaiting state machine. Told on the loop thread.
/// </summary>
public interface IParkedReader
{
    void OnReadable();
}
