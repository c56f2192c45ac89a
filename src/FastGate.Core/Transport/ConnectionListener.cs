using System.Net;
using System.Net.Sockets;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Transport;

/// <summary>
/// A listening socket and its accept loop. Accepted sockets get TCP_NODELAY and go to the
/// handler on the accepting thread (the handler runs until its first real await, then the
/// connection lives on socket completions). At <c>max_connections</c> the loop stops accepting
/// until a connection closes, the way nginx behaves at worker_connections: excess clients wait
/// in the kernel's accept queue and are served in turn instead of being accepted and reset.
/// <para>
/// Started on an <see cref="EventLoopGroup"/>, the socket goes into every loop's epoll set instead
/// (<see cref="LoopAcceptor"/>): each accepted connection lives on the loop that accepted it.
/// </para>
/// </summary>
public sealed class ConnectionListener : IDisposable
{
    // Linux values (asm-generic/socket.h). .NET's ReuseAddress option sets SO_REUSEPORT as well on
    // Linux, which lets a second process bind the same port and silently share its traffic.
    private const int SOL_SOCKET = 1;
    private const int SO_REUSEADDR = 2;
    private const int SO_REUSEPORT = 15;

    private readonly Socket _socket;
    private readonly int _maxConnections;
    private IConnectionHandler _handler;
    private TaskCompletionSource? _slotFreed;
    private int _active;
    private volatile bool _stopped;
    private LoopAcceptor[]? _acceptors;
    private CountdownEvent? _acceptorsLeft;
    private volatile bool _paused;

    /// <summary>Binds and listens; throws <see cref="SocketException"/> when the address is taken or unavailable.</summary>
    /// <param name="reusePort">Share the port with other sockets that ask for it too (SO_REUSEPORT); only when the config says so.</param>
    public ConnectionListener(IPEndPoint endPoint, int backlog, int maxConnections, IConnectionHandler handler, bool reusePort = false)
    {
        _maxConnections = maxConnections;
        _handler = handler;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }
            if (OperatingSystem.IsLinux())
            {
                // SO_REUSEADDR alone: a restart binds past connections in TIME_WAIT, but a port that
                // another process listens on stays refused.
                _socket.SetRawSocketOption(SOL_SOCKET, SO_REUSEADDR, BitConverter.GetBytes(1));
                if (reusePort)
                {
                    _socket.SetRawSocketOption(SOL_SOCKET, SO_REUSEPORT, BitConverter.GetBytes(1));
                }
            }
            else if (reusePort)
            {
                _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }
            _socket.Bind(endPoint);
            _socket.Listen(backlog);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
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

    /// <summary>Accepts on every loop of <paramref name="loops"/> rather than on an accept loop of its own.</summary>
    public void Start(EventLoopGroup loops)
    {
        _socket.Blocking = false;
        var fd = (int)_socket.SafeHandle.DangerousGetHandle();
        _acceptors = loops.Loops.Select(loop => new LoopAcceptor(loop, this, fd)).ToArray();
        _acceptorsLeft = new CountdownEvent(_acceptors.Length);
        foreach (var acceptor in _acceptors)
        {
            acceptor.Sync();
        }
    }

    internal bool IsStopped => _stopped;

    internal bool IsPaused => _paused;

    /// <summary>Counts a connection about to be accepted; false (and a pause) at max_connections.</summary>
    internal bool TryReserveSlot()
    {
        var active = Interlocked.Increment(ref _active);
        if (_maxConnections <= 0 || active <= _maxConnections)
        {
            return true;
        }
        Interlocked.Decrement(ref _active);
        lock (_socket)
        {
            if (!_paused)
            {
                _paused = true;
                Handler.OnCapacityReached(this);
                SyncAcceptors();
            }
        }
        // A close between the count and the pause finds nobody to resume it: check again.
        ResumeIfRoom();
        return false;
    }

    private void ResumeIfRoom()
    {
        if (!_paused || Volatile.Read(ref _active) >= _maxConnections)
        {
            return;
        }
        lock (_socket)
        {
            if (_paused && Volatile.Read(ref _active) < _maxConnections)
            {
                _paused = false;
                SyncAcceptors();
            }
        }
    }

    private void SyncAcceptors()
    {
        foreach (var acceptor in _acceptors!)
        {
            acceptor.Sync();
        }
    }

    /// <summary>A loop has taken the socket out of its epoll set for good.</summary>
    internal void OnAcceptorReleased() => _acceptorsLeft!.Signal();

    private async Task AcceptLoopAsync()
    {
        while (!_stopped)
        {
            if (_maxConnections > 0 && Volatile.Read(ref _active) >= _maxConnections)
            {
                Handler.OnCapacityReached(this);
                await WaitForSlotAsync().ConfigureAwait(false);
                continue;
            }

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

            Interlocked.Increment(ref _active);
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

    private Task WaitForSlotAsync()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _slotFreed, waiter);
        // Published before the re-check: a close between the check in the loop and the publish
        // would otherwise find no waiter and the loop would sleep with a free slot.
        if (_stopped || Volatile.Read(ref _active) < _maxConnections)
        {
            waiter.TrySetResult();
        }
        return waiter.Task;
    }

    /// <summary>Called by the handler once per connection it was given, when that connection ends.</summary>
    public void OnConnectionClosed()
    {
        Interlocked.Decrement(ref _active);
        if (_acceptors is not null)
        {
            ResumeIfRoom();
            return;
        }
        Interlocked.Exchange(ref _slotFreed, null)?.TrySetResult();
    }

    /// <summary>Stops accepting; connections already accepted go on.</summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        if (_acceptors is not null)
        {
            // Every loop takes the socket out of its epoll set before it is closed: a descriptor
            // number closed first could be reused by a new connection that a late removal would hit.
            SyncAcceptors();
            if (EventLoop.Current is null)
            {
                _acceptorsLeft!.Wait(TimeSpan.FromSeconds(5));
            }
        }
        _socket.Dispose();
        Interlocked.Exchange(ref _slotFreed, null)?.TrySetResult();
    }

    public void Dispose() => Stop();
}
