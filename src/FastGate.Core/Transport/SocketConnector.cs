using System.Net;
using System.Net.Sockets;

namespace FastGate.Core.Transport;

/// <summary>TCP connections with TCP_NODELAY, bounded by the connect timeout.</summary>
public sealed class SocketConnector : IUpstreamConnector
{
    public static SocketConnector Default { get; } = new();

    public async ValueTask<ITransport> ConnectAsync(EndPoint endPoint, TimeSpan timeout)
    {
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new SocketTransport(socket);
    }
}
