using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Hosting;

// A listener with proxy_protocol = true: the header is read first (before a TLS handshake), and
// its source address is the client that X-Forwarded-For, rate-limit keys and the access log see.
public sealed partial class HttpConnectionHandler
{
    /// <summary>
    /// Reads the header, then serves the connection as the listener wants it. On an event loop the
    /// intake continues on the loop, where the HTTP connection must start.
    /// </summary>
    /// <param name="peerPort">The peer's port, -1 when the transport does not say.</param>
    private async Task ServeAfterProxyHeaderAsync(ProxyProtocolIntake intake, ITransport transport, byte[] peerIp, int peerPort, ConnectionListener listener, ClientConnectionCounts.ClientLease lease)
    {
        ProxyIntakeResult result;
        try
        {
            result = await intake.ReadAsync(transport, peerIp, peerPort, gateway.Metrics.ProxyProtocol);
        }
        catch (Exception)
        {
            result = ProxyIntakeResult.Refused(ProxyIntakeOutcome.Closed);
        }
        if (!result.Accepted || gateway.Draining)
        {
            transport.Dispose();
            lease.Release();
            listener.OnConnectionClosed();
            return;
        }
        var client = new ClientAddressInfo(FormatAddress(result.ClientIp), result.ClientIp);
        if (tls is not null)
        {
            await ServeTlsAsync(tls, transport, client, listener, lease);
        }
        else if (H2cEnabled)
        {
            await ServePlainH2cAsync(transport, client, listener, lease);
        }
        else if (transport is EpollConnection)
        {
            new Http1ClientConnection(transport, client, gateway, listenerName, listener) { Lease = lease }.Start();
        }
        else
        {
            _ = new Http1ProxyConnection(transport, client, gateway, listenerName, listener) { Lease = lease }.Start();
        }
    }
}
