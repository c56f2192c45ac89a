using System.Net;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// Opens upstream connections on the loop of the caller, so an exchange's client and upstream
/// sides share one thread. Off every loop (admin, tests) it defers to <paramref name="fallback"/>.
/// </summary>
public sealed class EpollConnector(IUpstreamConnector fallback) : IUpstreamConnector
{
    public ValueTask<ITransport> ConnectAsync(EndPoint endPoint, TimeSpan timeout)
    {
        var loop = EventLoop.Current;
        if (loop is null)
        {
            return fallback.ConnectAsync(endPoint, timeout);
        }
        if (endPoint is IPEndPoint ip)
        {
            return EpollConnection.ConnectAsync(loop, ip, timeout);
        }
        return ResolveAndConnectAsync(loop, endPoint, timeout);
    }

    private static async ValueTask<ITransport> ResolveAndConnectAsync(EventLoop loop, EndPoint endPoint, TimeSpan timeout)
    {
        var dns = (DnsEndPoint)endPoint;
        IPAddress[] addresses;
        using (var cts = new CancellationTokenSource(timeout))
        {
            addresses = await Dns.GetHostAddressesAsync(dns.Host, cts.Token).ConfigureAwait(false);
        }
        await loop.SwitchTo();
        if (addresses.Length == 0)
        {
            throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound);
        }
        return await EpollConnection.ConnectAsync(loop, new IPEndPoint(addresses[0], dns.Port), timeout).ConfigureAwait(false);
    }
}
