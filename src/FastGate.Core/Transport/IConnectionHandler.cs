using System.Net.Sockets;

namespace FastGate.Core.Transport;

/// <summary>Receives each accepted socket; owns it from then on.</summary>
public interface IConnectionHandler
{
    void OnConnection(Socket socket, ConnectionListener listener);
}
