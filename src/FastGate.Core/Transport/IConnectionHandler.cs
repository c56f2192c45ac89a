using System.Net.Sockets;

namespace FastGate.Core.Transport;

/// <summary>Receives each accepted socket; owns it from then on.</summary>
public interface IConnectionHandler
{
    void OnConnection(Socket socket, ConnectionListener listener);

    /// <summary>
    /// The listener reached its connection cap and stops accepting until one closes; called on the
    /// accept loop, once per pause. Default: nothing.
    /// </summary>
    void OnCapacityReached(ConnectionListener listener)
    {
    }
}
