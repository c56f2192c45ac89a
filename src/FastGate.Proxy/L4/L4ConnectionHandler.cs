using System.Net;
using System.Net.Sockets;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.L4;

/// <summary>
/// Serves the connections of one tcp or tls-passthrough listener, by name, so it follows
/// reloads: each accepted connection takes the plan of the snapshot current then.
/// </summary>
public sealed class L4ConnectionHandler(Gateway gateway, string listenerName) : IConnectionHandler
{
    private L4ListenerPlan? _plan;

    public void OnConnection(Socket socket, ConnectionListener listener)
    {
        var remote = socket.RemoteEndPoint;
        Start(new SocketTransport(socket), PeerAddress.Ip(remote), (remote as IPEndPoint)?.Port ?? -1, socket.LocalEndPoint as IPEndPoint, listener);
    }

    /// <summary>
    /// The loop transport gives the peer's IP only; the port and the address the client reached
    /// (not the listener's wildcard) are asked of the kernel, for the PROXY headers that carry them.
    /// </summary>
    public void OnConnection(ITransport transport, ReadOnlySpan<byte> clientIp, ConnectionListener listener)
    {
        var connection = transport as EpollConnection;
        Start(transport, clientIp, connection?.RemoteEndPoint()?.Port ?? -1, connection?.LocalEndPoint() ?? listener.EndPoint, listener);
    }

    public void OnCapacityReached(ConnectionListener listener) => gateway.OnListenerCapped(listenerName, listener);

    private void Start(ITransport transport, ReadOnlySpan<byte> clientIp, int clientPort, IPEndPoint? local, ConnectionListener listener)
    {
        var plan = gateway.Draining ? null : Plan();
        var lease = plan is null ? null : ClientConnectionCounts.Admit(gateway, listenerName, listener, clientIp);
        if (plan is null || lease is null)
        {
            transport.Dispose();
            listener.OnConnectionClosed();
            return;
        }
        new L4Connection(gateway, plan, transport, clientIp, clientPort, local, listener) { Lease = lease }.Start();
    }

    /// <summary>The plan for the current snapshot, built by the first connection that sees it; null when the listener is no longer an L4 one.</summary>
    private L4ListenerPlan? Plan()
    {
        var snapshot = gateway.Current;
        var plan = Volatile.Read(ref _plan);
        if (plan is not null && ReferenceEquals(plan.Snapshot, snapshot))
        {
            return plan;
        }
        var model = snapshot.Listener(listenerName);
        if (model is null || model.Protocol == ListenerProtocol.Http || model.Cluster is null)
        {
            return null;
        }
        // Two loops may build one each for a new snapshot; either is right and the last one stays.
        plan = new L4ListenerPlan(snapshot, model, gateway.Metrics.L4.Listener(listenerName));
        Volatile.Write(ref _plan, plan);
        return plan;
    }
}
