using System.Net;
using System.Net.Sockets;

namespace FastGate.Core.Transport;

/// <summary>
/// A listening socket and its accept loop. Accepted sockets get TCP_NODELAY and go to the
/// handler on the accepting thread (the handler runs until its first real await, then the
/// connection lives on socket completions). Over <c>max_connections</c> a new socket is closed
/// at once, the way nginx drops past worker_connections, so the accept queue keeps draining.
/// </summary>
public sealed class ConnectionListener : IDisposable
{
    private readonly Socket _socket;
    private readonly int _maxConnections;
    private IConnectionHandler _handler;
    private int _active;
    private volatile bool _stopped;

    public ConnectionListener(IPEndPoint endPoint, int backlog, int maxConnections, IConnectionHandler handler)
    {
        _maxConnections = maxConnections;
        _handler = handler;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            _socket.DualMode = true;
        }
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        _socket.Listen(backlog);
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections accepted and not yet released by <see cref="OnConnectionClosed"/>.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Hands new connections to another handler (a reload keeps the socket, swaps what serves it).</summary>
    public IConnectionHandler Handler
    {
        get => Volatile.Read(ref _handler);
        set => Volatile.Write(ref _handler, value);
    }

    public void Start()
    {
        _ = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopped)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException)
            {
                // EMFILE, ECONNABORTED and friends: the listener stays up and tries the next one.
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }

            var active = Interlocked.Increment(ref _active);
            if (_maxConnections > 0 && active > _maxConnections)
            {
                Interlocked.Decrement(ref _active);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            try
            {
                Handler.OnConnection(socket, this);
            }
            catch
            {
                OnConnectionClosed();
                socket.Dispose();
            }
        }
    }

    /// <summary>Called by the handler once per connection it was given, when that connection ends.</summary>
    public void OnConnectionClosed() => Interlocked.Decrement(ref _active);

    /// <summary>Stops accepting; connections already accepted go on.</summary>
    public void Stop()
    {
        _stopped = true;
        _socket.Dispose();
    }

    public void Dispose() => Stop();
}
