using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// A TCP connection on one <see cref="EventLoop"/> for its whole life: registered once,
/// edge-triggered for reading and writing, its pipes served by <see cref="LoopReceiver"/> and
/// <see cref="LoopSender"/>. Disposing from another thread closes it on the loop.
/// </summary>
public sealed unsafe class EpollConnection : ITransport, ISendProgress, ILoopBound, IEpollHandler, IThreadPoolWorkItem, ILoopTimerTarget
{
    private const uint Interest = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;

    // _slot once closed: Closed is kept in the slot rather than in a field of its own, as every
    // idle connection keeps this object.
    private const int ClosedSlot = int.MinValue;

    private readonly LoopReceiver _receiver;
    private readonly LoopSender _sender;
    private int _slot = -1;
    // Set only while an outgoing connect is in progress: one field, not two, in every connection.
    private PendingConnect? _connecting;

    internal EpollConnection(EventLoop loop, int fd)
    {
        Loop = loop;
        Fd = fd;
        _receiver = new LoopReceiver(this);
        _sender = new LoopSender(this);
    }

    public EventLoop Loop { get; }

    internal int Fd { get; }

    public bool Closed => _slot == ClosedSlot;

    public PipeReader Input => _receiver;

    public PipeWriter Output => _sender;

    public long BytesDelivered => Closed ? _sender.BytesSent : _sender.BytesSent - Libc.UnacknowledgedBytes(Fd);

    /// <summary>
    /// Bytes the kernel has taken so far. Unlike <see cref="BytesDelivered"/> any thread may read it
    /// (a count that only grows; no call on the descriptor), to tell whether a pending flush moves.
    /// </summary>
    public long BytesSent => _sender.BytesSent;

    /// <summary>True while the connection holds a pooled block for either direction.</summary>
    public bool HoldsBuffers => _receiver.HoldsBuffer || _sender.HoldsBuffer;

    /// <summary>See <see cref="LoopReceiver.TryPark"/>; loop thread only.</summary>
    public bool TryPark(IParkedReader waiter) => _receiver.TryPark(waiter);

    /// <summary>
    /// Parks <paramref name="waiter"/> on <paramref name="input"/> when it is the reading side of
    /// a loop connection (see <see cref="LoopReceiver.TryPark"/>); false for any other reader, or
    /// when a read would return now. For a holder of the pipe that has no transport at hand.
    /// </summary>
    public static bool TryParkReader(PipeReader input, IParkedReader waiter) => input is LoopReceiver receiver && receiver.TryPark(waiter);

    /// <summary>The peer's address and port (getpeername); null once closed or when the kernel says none.</summary>
    public IPEndPoint? RemoteEndPoint() => EndPointOf(peer: true);

    /// <summary>The address and port the connection arrived at (getsockname): the real one under a wildcard listener.</summary>
    public IPEndPoint? LocalEndPoint() => EndPointOf(peer: false);

    // A syscall each, asked only by what needs more than the IP that accept4 gave (a PROXY header).
    private IPEndPoint? EndPointOf(bool peer)
    {
        if (Closed)
        {
            return null;
        }
        var address = stackalloc byte[SocketAddress.MaxLength];
        uint length = SocketAddress.MaxLength;
        var result = peer ? Libc.GetPeerName(Fd, address, &length) : Libc.GetSocketName(Fd, address, &length);
        return result == 0 ? SocketAddress.EndPoint(address, length) : null;
    }

    internal void Register() => _slot = Loop.Register(this, Fd, Interest);

    /// <summary>See <see cref="LoopSender.TrySendNow"/>; loop thread only.</summary>
    internal bool TrySendNow() => _sender.TrySendNow();

    /// <summary>
    /// Hands the socket's readiness to <paramref name="handler"/>, which moves its bytes itself
    /// (a <see cref="SpliceRelay"/>); the pipes see no more events. Closing is still this
    /// connection's. Loop thread only.
    /// </summary>
    internal void Redirect(IEpollHandler handler) => Loop.Rebind(_slot, handler);

    /// <summary>Opens a connection to <paramref name="endPoint"/> on <paramref name="loop"/> (its thread only).</summary>
    public static ValueTask<ITransport> ConnectAsync(EventLoop loop, IPEndPoint endPoint, TimeSpan timeout)
    {
        Debug.Assert(loop.IsCurrent);
        var family = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET;
        var fd = Libc.Socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return ValueTask.FromException<ITransport>(SocketErrors.Exception(Libc.Errno));
        }
        Libc.SetNoDelay(fd);
        var connection = new EpollConnection(loop, fd);
        try
        {
            connection.Register();
        }
        catch (SocketException ex)
        {
            Libc.Close(fd);
            return ValueTask.FromException<ITransport>(ex);
        }

        var address = stackalloc byte[SocketAddress.MaxLength];
        var length = SocketAddress.Write(endPoint, address);
        if (Libc.Connect(fd, address, (uint)length) == 0)
        {
            return ValueTask.FromResult<ITransport>(connection);
        }
        var errno = Libc.Errno;
        if (errno != Libc.EINPROGRESS)
        {
            connection.CloseNow();
            return ValueTask.FromException<ITransport>(SocketErrors.Exception(errno));
        }
        // Completed on the loop thread by EPOLLOUT (or the timer), continuing the caller inline.
        var connecting = new PendingConnect(loop.Timers.Create(connection));
        connection._connecting = connecting;
        connecting.Timer.ScheduleAfter(timeout);
        return new ValueTask<ITransport>(connecting.Task);
    }

    void IEpollHandler.OnEvents(uint events)
    {
        if (_connecting is not null)
        {
            if ((events & (Libc.EPOLLOUT | Libc.EPOLLERR | Libc.EPOLLHUP)) == 0)
            {
                return;
            }
            OnConnectResult();
            if (Closed)
            {
                return;
            }
        }
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            _receiver.OnReadable(events);
        }
        if (!Closed && (events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            _sender.OnWritable();
        }
    }

    private void OnConnectResult()
    {
        int error = 0;
        uint length = sizeof(int);
        if (Libc.GetSocketOption(Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length) != 0)
        {
            error = Libc.Errno;
        }
        var connecting = _connecting!;
        _connecting = null;
        connecting.Timer.Cancel();
        if (error != 0)
        {
            CloseNow();
            connecting.SetException(SocketErrors.Exception(error));
            return;
        }
        connecting.SetResult(this);
    }

    void ILoopTimerTarget.OnTimer(long now)
    {
        var connecting = _connecting;
        if (connecting is null)
        {
            return;
        }
        _connecting = null;
        CloseNow();
        connecting.SetException(new OperationCanceledException("connect timed out"));
    }

    public void Dispose()
    {
        if (Loop.IsCurrent)
        {
            CloseNow();
        }
        else
        {
            Loop.Post(this);
        }
    }

    void IThreadPoolWorkItem.Execute() => CloseNow();

    private void CloseNow()
    {
        if (Closed)
        {
            return;
        }
        _sender.OnClosing();
        var slot = _slot;
        _slot = ClosedSlot;
        if (slot >= 0)
        {
            Loop.Release(slot);
        }
        Libc.Close(Fd);
        _receiver.OnClosed();
        _sender.OnClosed();
    }
}
