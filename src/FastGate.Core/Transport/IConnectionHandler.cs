using System.Net.Sockets;

namespace FastGate.Core.Transport;

/// <summary>Receives each accepted socket; owns it from then on.</summary>
public interface IConnectionHandler
{
    void OnConnection(Socket socket, ConnectionListener listener);

    /// <summary>
    /// A connection accepted on an event loop. <paramref name="clientIp"/> is the peer's IP, 4 or 16
    /// bytes (empty when the kernel gave none), valid during the call only.
    /// </summary>
    void OnConnection(ITransport transport, ReadOnlySpan<byte> clientIp, ConnectionListener listener)
    {
        transport.Dispose();
        listener.OnConnectionClosed();
    }

    /// <summary>
    /// The listener reached its connection cap and stops accepting until one closes; called on the
    /// accept loop, once per pause. Default: nothing.
    /// </summary>
    void OnCapacityReached(ConnectionListener listener)
    {
    }
}
