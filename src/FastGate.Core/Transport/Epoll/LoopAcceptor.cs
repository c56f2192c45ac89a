using System.Diagnostics;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// A listening socket in one loop's epoll set. Every loop watches the same socket with
/// EPOLLEXCLUSIVE, so the kernel wakes one loop per incoming connection rather than all of them,
/// and the connection stays on the loop that accepted it. Level-triggered: a loop accepts a batch
/// and the rest wake it (or another loop) again.
/// </summary>
internal sealed unsafe class LoopAcceptor : IEpollHandler, ILoopTimerTarget, IThreadPoolWorkItem
{
    private const uint Interest = Libc.EPOLLIN | Libc.EPOLLEXCLUSIVE;
    private const int Batch = 64;
    private static readonly long FileLimitPause = Stopwatch.Frequency / 10;

    private readonly EventLoop _loop;
    private readonly ConnectionListener _listener;
    private readonly int _fd;
    private int _slot = -1;
    private bool _watching;
    private bool _released;
    private long _pausedUntil;
    private LoopTimer? _retry;

    public LoopAcceptor(EventLoop loop, ConnectionListener listener, int fd)
    {
        _loop = loop;
        _listener = listener;
        _fd = fd;
    }

    /// <summary>Brings the registration in line with the listener's state, on the loop thread.</summary>
    public void Sync()
    {
        if (_loop.IsCurrent)
        {
            SyncNow();
        }
        else
        {
            _loop.Post(this);
        }
    }

    void IThreadPoolWorkItem.Execute() => SyncNow();

    private void SyncNow()
    {
        if (_released)
        {
            return;
        }
        if (_listener.IsStopped)
        {
            if (_watching)
            {
                _loop.Remove(_fd);
                _watching = false;
            }
            if (_slot >= 0)
            {
                _loop.Release(_slot);
                _slot = -1;
            }
            _retry?.Cancel();
            _released = true;
            _listener.OnAcceptorReleased();
            return;
        }
        var want = !_listener.IsPaused && Stopwatch.GetTimestamp() >= _pausedUntil;
        if (want == _watching)
        {
            return;
        }
        if (want)
        {
            if (_slot < 0)
            {
                _slot = _loop.Register(this, _fd, Interest);
            }
            else if (_loop.Rearm(_slot, _fd, Interest) != 0)
            {
                return;
            }
        }
        else
        {
            _loop.Remove(_fd);
        }
        _watching = want;
    }

    void IEpollHandler.OnEvents(uint events)
    {
        var address = stackalloc byte[SocketAddress.MaxLength];
        for (var i = 0; i < Batch; i++)
        {
            if (_listener.IsStopped || !_listener.TryReserveSlot())
            {
                // At max_connections (or stopping): stop watching until a connection closes.
                SyncNow();
                return;
            }
            uint length = SocketAddress.MaxLength;
            var fd = Libc.Accept(_fd, address, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd < 0)
            {
                _listener.OnConnectionClosed();
                var errno = Libc.Errno;
                if (errno is Libc.EINTR or Libc.ECONNABORTED)
                {
                    continue;
                }
                if (errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM)
                {
                    // Out of descriptors or memory: accepting again at once would spin. Pause briefly;
                    // the waiting clients stay in the kernel's queue.
                    _pausedUntil = Stopwatch.GetTimestamp() + FileLimitPause;
                    _retry ??= _loop.Timers.Create(this);
                    _retry.Schedule(_pausedUntil);
                    SyncNow();
                }
                return;
            }
            // TCP_NODELAY comes from the listening socket: Linux copies it to every accepted one.
            var connection = new EpollConnection(_loop, fd);
            try
            {
                connection.Register();
                _listener.Handler.OnConnection(connection, SocketAddress.Ip(address, length), _listener);
            }
            catch (Exception)
            {
                connection.Dispose();
                _listener.OnConnectionClosed();
                throw;
            }
        }
    }

    void ILoopTimerTarget.OnTimer(long now) => SyncNow();
}
