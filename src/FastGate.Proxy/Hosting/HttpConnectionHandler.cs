using System.Net;
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
        var address = FormatAddress(socket.RemoteEndPoint);
        _ = new Http1ProxyConnection(new SocketTransport(socket), address, gateway, listenerName, listener).Start();
    }

    public void OnConnection(ITransport transport, IPEndPoint? remote, ConnectionListener listener)
    {
        if (gateway.Draining)
        {
            transport.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        new Http1ClientConnection(transport, FormatAddress(remote), gateway, listenerName, listener).Start();
    }

    public void OnCapacityReached(ConnectionListener listener) => gateway.OnListenerCapped(listenerName, listener);

    /// <summary>The client's IP as ASCII, once per connection, for X-Forwarded-For and the access log.</summary>
    private static byte[] FormatAddress(EndPoint? endPoint)
    {
        if (endPoint is IPEndPoint ip)
        {
            var address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
            Span<byte> text = stackalloc byte[64];
            if (address.TryFormat(text, out var written))
            {
                return text[..written].ToArray();
            }
        }
        return "unknown"u8.ToArray();
    }
}
