using System.Net;
using System.Net.Sockets;
using FastGate.Core.Tls.OpenSsl;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Tls;

namespace FastGate.Proxy.Hosting;

/// <summary>
/// Serves the connections of one http listener, by name, so it follows reloads. Before HTTP, a
/// listener may want a PROXY header (its source is then the client) and, with
/// <paramref name="tls"/>, a TLS handshake, in that order.
/// </summary>
public sealed partial class HttpConnectionHandler(Gateway gateway, string listenerName, TlsListener? tls = null) : IConnectionHandler
{
    public void OnConnection(Socket socket, ConnectionListener listener)
    {
        if (gateway.Draining)
        {
            socket.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        var peer = socket.RemoteEndPoint;
        var peerIp = PeerAddress.Ip(peer);
        if (ClientConnectionCounts.Admit(gateway, listenerName, listener, peerIp) is not { } lease)
        {
            socket.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        if (ProxyProtocolIntake.For(gateway.Current.Listener(listenerName)) is { } intake)
        {
            // The header is read through the socket's pipes; TLS, if any, then goes on over them.
            _ = ServeAfterProxyHeaderAsync(intake, new SocketTransport(socket), peerIp, (peer as IPEndPoint)?.Port ?? -1, listener, lease);
            return;
        }
        var client = new ClientAddressInfo(FormatAddress(peer), peerIp);
        if (tls is not null)
        {
            _ = ServeTlsAsync(tls, new NetworkStreamTransport(socket), client, listener, lease);
            return;
        }
        if (H2cEnabled)
        {
            _ = ServePlainH2cAsync(new SocketTransport(socket), client, listener, lease);
            return;
        }
        _ = new Http1ProxyConnection(new SocketTransport(socket), client, gateway, listenerName, listener) { Lease = lease }.Start();
    }

    public void OnConnection(ITransport transport, ReadOnlySpan<byte> clientIp, ConnectionListener listener)
    {
        if (gateway.Draining)
        {
            transport.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        var counts = ClientConnectionCounts.For(listener);
        if (!counts.TryAdmit(gateway, listenerName, clientIp))
        {
            transport.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        if (ProxyProtocolIntake.For(gateway.Current.Listener(listenerName)) is { } intake)
        {
            _ = ServeAfterProxyHeaderAsync(intake, transport, clientIp.ToArray(), -1, listener, counts.LeaseFor(clientIp));
            return;
        }
        var client = ClientAddressCache.Get(clientIp);
        if (tls is not null)
        {
            // On a loop straight to the loop's path: one async frame less per connection.
            _ = transport is EpollConnection epoll
                ? ServeTlsOnLoopAsync(tls, epoll, client, listener, counts.LeaseFor(clientIp))
                : ServeTlsAsync(tls, transport, client, listener, counts.LeaseFor(clientIp));
            return;
        }
        if (H2cEnabled)
        {
            _ = ServePlainH2cAsync(transport, client, listener, counts.LeaseFor(clientIp));
            return;
        }
        // The connection's own address stands for its place in the count: no lease object.
        new Http1ClientConnection(transport, client, gateway, listenerName, listener) { CountedIn = counts }.Start();
    }

    /// <summary>
    /// Handshakes, then serves HTTP over the TLS pipes. On an event loop everything stays on the
    /// loop (<see cref="ServeTlsOnLoopAsync"/>); elsewhere the TLS stream does its own socket I/O
    /// and the HTTP code runs on the pool, with a worker of its own.
    /// </summary>
    private async Task ServeTlsAsync(TlsListener tls, ITransport inner, ClientAddressInfo client, ConnectionListener listener, ClientConnectionCounts.ClientLease lease)
    {
        if (inner is EpollConnection epoll)
        {
            await ServeTlsOnLoopAsync(tls, epoll, client, listener, lease).ConfigureAwait(false);
            return;
        }
        (StreamTransport Transport, TlsConnectionInfo Info)? session;
        try
        {
            session = await tls.HandshakeAsync(inner).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Failed handshakes are handled inside; this is the backstop that keeps the count right.
            gateway.Log.Error($"listener '{listenerName}': TLS connection setup failed: {ex}");
            inner.Dispose();
            session = null;
        }
        if (!Admit(session?.Transport, listener, lease))
        {
            return;
        }
        var established = session!.Value;
        if (NegotiatedH2(established.Transport))
        {
            _ = ServeHttp2(established.Transport, client.Text, listener, lease, established.Info);
            return;
        }
        _ = new Http1ProxyConnection(established.Transport, client, gateway, listenerName, listener, established.Info) { Lease = lease }.Start();
    }

    /// <summary>
    /// TLS on an event loop: the handshake, the records and an HTTP/1.1 exchange all run on the
    /// connection's loop, as a plain connection's do (an HTTP/1.1 connection keeps its worker
    /// bound: the TLS pipes cannot park on the socket). An HTTP/2 connection runs on the loop as
    /// an h2c one does, its streams' exchanges with it: the TLS pipes are loop-bound too.
    /// </summary>
    private async Task ServeTlsOnLoopAsync(TlsListener tls, EpollConnection inner, ClientAddressInfo client, ConnectionListener listener, ClientConnectionCounts.ClientLease lease)
    {
        var loop = inner.Loop;
        if (!loop.IsCurrent)
        {
            await loop.SwitchTo();
        }
        (OpenSslLoopTransport Transport, TlsConnectionInfo Info)? session;
        try
        {
            session = await tls.HandshakeOnLoopAsync(inner).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Failed handshakes are handled inside; this is the backstop that keeps the count right.
            gateway.Log.Error($"listener '{listenerName}': TLS connection setup failed: {ex}");
            inner.Dispose();
            session = null;
        }
        if (!loop.IsCurrent)
        {
            await loop.SwitchTo();
        }
        if (!Admit(session?.Transport, listener, lease))
        {
            return;
        }
        var established = session!.Value;
        if (established.Transport.NegotiatedApplicationProtocol == System.Net.Security.SslApplicationProtocol.Http2)
        {
            _ = ServeHttp2(established.Transport, client.Text, listener, lease, established.Info);
            return;
        }
        new Http1ClientConnection(established.Transport, client, gateway, listenerName, listener) { Lease = lease, Tls = established.Info, Loop = loop }.Start();
    }

    /// <summary>
    /// After a TLS handshake: true when it gave a transport and the gateway is not draining;
    /// otherwise the transport (if any) is closed and the lease and the listener's count released.
    /// </summary>
    private bool Admit(ITransport? established, ConnectionListener listener, ClientConnectionCounts.ClientLease lease)
    {
        if (established is not null && !gateway.Draining)
        {
            return true;
        }
        established?.Dispose();
        lease.Release();
        listener.OnConnectionClosed();
        return false;
    }

    public void OnCapacityReached(ConnectionListener listener) => gateway.OnListenerCapped(listenerName, listener);

    /// <summary>An IP as ASCII (IPv4 without allocating anything but the result), once per connection.</summary>
    internal static byte[] FormatAddress(ReadOnlySpan<byte> ip)
    {
        if (ip.Length == 4)
        {
            Span<byte> text = stackalloc byte[15];
            var written = 0;
            for (var i = 0; i < 4; i++)
            {
                if (i > 0)
                {
                    text[written++] = (byte)'.';
                }
                System.Buffers.Text.Utf8Formatter.TryFormat(ip[i], text[written..], out var digits);
                written += digits;
            }
            return text[..written].ToArray();
        }
        return ip.Length == 16 ? FormatAddress(new IPEndPoint(new IPAddress(ip), 0)) : "unknown"u8.ToArray();
    }

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
