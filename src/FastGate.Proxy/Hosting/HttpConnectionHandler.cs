using System.Net.Sockets;
using FastGate.Core.Transport;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Hosting;

/// <summary>Serves the connections of one http listener, by name, so it follows reloads.</summary>
public sealed class HttpConnectionHandler(Gateway gateway, string listenerName) : IConnectionHandler
{
    public void OnConnection(Socket socket, ConnectionListener listener)
    {
        if (gateway.Draining)
        {
            socket.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        new Http1ProxyConnection(socket, listener, gateway, listenerName).Start();
    }
}
