using System.Net;
using System.Net.Sockets;
using FastGate.Core.Transport;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Hosting;

// A listener with proxy_protocol = true: the header is read first (before a TLS handshake), and
// its source address is the client that X-Forwarded-For, rate-limit keys and the access log see.
public sealed partial class HttpConnectionHandler
{
    /// <summary>Event loop connections: the intake continues on the loop, where the HTTP connection must start.</summary>
    private async Task ServeAfterProxyHeaderAsync(ProxyProtocolIntake intake, ITransport transport, byte[] peerIp, ConnectionListener listener)
    {
        ProxyIntakeResult result;
        try
        {
            result = await intake.ReadAsync(transport, peerIp, -1, gateway.Metrics.ProxyProtocol);
        }
        catch (Exception)
        {
            result = ProxyIntakeResult.Refused(ProxyIntakeOutcome.Closed);
        }
        if (!result.Accepted || gateway.Draining)
        {
            transport.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        if (tls is not null)
        {
            await ServeTlsAsync(tls, transport, FormatAddress(result.ClientIp), listener);
            return;
        }
        new Http1ClientConnection(transport, FormatAddress(result.ClientIp), result.ClientIp, gateway, listenerName, listener).Start();
    }

    /// <summary>The portable transport.</summary>
    private async Task ServeAfterProxyHeaderAsync(ProxyProtocolIntake intake, SocketTransport transport, Socket socket, ConnectionListener listener)
    {
        var peer = socket.RemoteEndPoint as IPEndPoint;
        var peerIp = peer is null ? [] : (peer.Address.IsIPv4MappedToIPv6 ? peer.Address.MapToIPv4() : peer.Address).GetAddressBytes();
        ProxyIntakeResult result;
        try
        {
            result = await intake.ReadAsync(transport, peerIp, peer?.Port ?? -1, gateway.Metrics.ProxyProtocol);
        }
        catch (Exception)
        {
            result = ProxyIntakeResult.Refused(ProxyIntakeOutcome.Closed);
        }
        if (!result.Accepted || gateway.Draining)
        {
            transport.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        if (tls is not null)
        {
            await ServeTlsAsync(tls, transport, FormatAddress(result.ClientIp), listener);
            return;
        }
        _ = new Http1ProxyConnection(transport, FormatAddress(result.ClientIp), gateway, listenerName, listener).Start();
    }
}
