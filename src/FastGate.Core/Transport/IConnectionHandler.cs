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
    /// True when connections accepted on an event loop should come as sockets
    /// (<see cref="OnConnection(Socket, ConnectionListener)"/>) rather than loop transports: for a
    /// protocol whose I/O runs off the loops anyway, such as TLS (an SslStream reads and writes on
    /// its own), a trip through the loop for every read and write would only add hops.
    /// </summary>
    bool TakesSockets => false;

    /// <summary>
    /// The listener reached its connection cap and stops accepting until one closes; called on the
    /// accept loop, once per pause. Default: nothing.
    /// </summary>
    void OnCapacityReached(ConnectionListener listener)
    {
    }
}
