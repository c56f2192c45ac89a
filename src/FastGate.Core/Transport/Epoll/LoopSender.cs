using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// The writing side of an <see cref="EpollConnection"/>. A flush of a few bytes completes at once
/// and the send waits for the end of the loop's turn (<see cref="EventLoop.AtTurnEnd(ILoopTurnEndWork)"/>):
/// the loop's sends then leave back to back after the turn's work instead of spread over it, and
/// the client or origin they wake finds them all in one epoll_wait. A flush that leaves
/// <see cref="SendAtOnceBytes"/> or more unsent goes out at once, as does one while the socket
/// was full. A send takes every block written since the last one in one sendmsg (a response head
/// and its body together), or one send when it is a single block. What the kernel does not take
/// waits for EPOLLOUT, and the flush completes only when all of it is out, so a slow reader holds
/// back its writer and memory stays bounded. Blocks go back to the loop's pool once sent. A send
/// that fails at the turn's end fails the writer's next flush. Loop thread only.
/// </summary>
internal sealed unsafe class LoopSender : PipeWriter, IValueTaskSource<FlushResult>, IThreadPoolWorkItem, ILoopTurnEndWork
{
    private const int MaxVectors = 64;

    /// <summary>
    /// Unsent bytes from which a flush sends at once rather than at the turn's end: a large
    /// response is not held back behind the turn's other work, and a writer that flushes many
    /// times in one turn meets the kernel's back-pressure before it buffers much.
    /// </summary>
    internal const int SendAtOnceBytes = 64 * 1024;

    private const byte WaitingWritableFlag = 1;
    private const byte PendingFlag = 2;
    private const byte CancelRequestedFlag = 4;
    private const byte CompletedFlag = 8;
    private const byte ShutdownWhenSentFlag = 16;

    private readonly EpollConnection _connection;
    private LoopCompletion _source;
    private LoopSegment? _head;
    private int _headSent;
    private LoopSegment? _tail;
    private long _unflushed;
    // Bytes written (Advance) and not yet taken by the kernel.
    private long _unsent;
    private long _bytesSent;
    // On the loop's turn-end list: a send is due when the turn ends.
    private bool _sendAtTurnEnd;
    // GetMemory lent the tail block and no Advance or flush took it back yet: a send at the turn's
    // end must not return that block to the pool while the writer may still be filling it.
    private bool _memoryLent;
    // Five states as bits of one byte, not five bools: the writer then takes 112 bytes, not 120,
    // in every connection, idle ones included.
    private byte _flags;
    private Exception? _error;

    public LoopSender(EpollConnection connection)
    {
        _connection = connection;
    }

    private bool WaitingWritable
    {
        get => (_flags & WaitingWritableFlag) != 0;
        set => SetFlag(WaitingWritableFlag, value);
    }

    private bool Pending
    {
        get => (_flags & PendingFlag) != 0;
        set => SetFlag(PendingFlag, value);
    }

    private bool CancelRequested
    {
        get => (_flags & CancelRequestedFlag) != 0;
        set => SetFlag(CancelRequestedFlag, value);
    }

    private bool Completed
    {
        get => (_flags & CompletedFlag) != 0;
        set => SetFlag(CompletedFlag, value);
    }

    private bool ShutdownWhenSent
    {
        get => (_flags & ShutdownWhenSentFlag) != 0;
        set => SetFlag(ShutdownWhenSentFlag, value);
    }

    private void SetFlag(byte flag, bool on) => _flags = on ? (byte)(_flags | flag) : (byte)(_flags & ~flag);

    /// <summary>True while a block is held (bytes written and not yet sent).</summary>
    public bool HoldsBuffer => _head is not null;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _unflushed;

    /// <summary>Bytes the kernel took since the connection opened.</summary>
    public long BytesSent => _bytesSent;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        var need = Math.Max(sizeHint, 1);
        if (_tail is null || _tail.Free < need)
        {
            Append(need);
        }
        _memoryLent = true;
        return _tail!.Block.AsMemory(_tail.End);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    private void Append(int need)
    {
        var segment = _connection.Loop.Buffers.Rent(need);
        if (_tail is null)
        {
            segment.Start(0);
            _head = _tail = segment;
            _headSent = 0;
        }
        else
        {
            _tail.Link(segment);
            _tail = segment;
        }
    }

    public override void Advance(int bytes)
    {
        _memoryLent = false;
        if (bytes == 0)
        {
            return;
        }
        _tail!.Commit(bytes);
        _unflushed += bytes;
        _unsent += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (CancelRequested)
        {
            CancelRequested = false;
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }
        _unflushed = 0;
        _memoryLent = false;
        if (_error is not null)
        {
            // A send failed (perhaps at the end of an earlier turn): what was written since goes nowhere.
            ReleaseSent(long.MaxValue);
            throw _error;
        }
        if (!WaitingWritable)
        {
            if (_unsent < SendAtOnceBytes && _connection.Loop.IsCurrent)
            {
                if (!_sendAtTurnEnd && _head is not null)
                {
                    _sendAtTurnEnd = true;
                    _connection.Loop.AtTurnEnd(this);
                }
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
            }
            Send();
            if (_error is not null)
            {
                throw _error;
            }
            if (!WaitingWritable)
            {
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
            }
        }
        if (Pending)
        {
            throw new InvalidOperationException("A flush is already pending.");
        }
        Pending = true;
        _source.Reset();
        return new ValueTask<FlushResult>(this, _source.Version);
    }

    /// <summary>Sends everything queued, as far as the kernel takes it; on EAGAIN waits for EPOLLOUT.</summary>
    // The 1 KiB of iovecs is written before it is read: clearing it would cost every send.
    [SkipLocalsInit]
    private void Send()
    {
        var vectors = stackalloc Libc.IoVector[MaxVectors];
        while (_head is not null)
        {
            var count = 0;
            nint total = 0;
            var segment = _head;
            var start = _headSent;
            while (segment is not null && count < MaxVectors)
            {
                var length = segment.End - start;
                if (length > 0)
                {
                    vectors[count].Base = (byte*)Unsafe.AsPointer(ref segment.Block[start]);
                    vectors[count].Length = (nuint)length;
                    total += length;
                    count++;
                }
                segment = segment.NextSegment;
                start = 0;
            }
            if (count == 0)
            {
                // Only blocks taken and left empty: drop them and finish as a complete send
                // (a Complete waiting for this send still shuts the sending side).
                ReleaseSent(long.MaxValue);
                break;
            }
            nint sent;
            if (count == 1)
            {
                // One block (a relayed read, a small response): send() spares the kernel the
                // message header and iovec it would copy in and check for sendmsg().
                sent = Libc.Send(_connection.Fd, vectors[0].Base, (nint)vectors[0].Length, Libc.MSG_NOSIGNAL);
            }
            else
            {
                Libc.MessageHeader message = default;
                message.Vectors = vectors;
                message.VectorCount = (nuint)count;
                sent = Libc.SendMessage(_connection.Fd, &message, Libc.MSG_NOSIGNAL);
            }
            if (sent < 0)
            {
                var errno = Libc.Errno;
                if (errno == Libc.EINTR)
                {
                    continue;
                }
                if (errno == Libc.EAGAIN)
                {
                    WaitingWritable = true;
                    return;
                }
                _error = SocketErrors.Exception(errno);
                WaitingWritable = false;
                ReleaseSent(long.MaxValue);
                return;
            }
            _bytesSent += sent;
            ReleaseSent(sent);
            if (sent < total)
            {
                // The kernel's buffer is full: EPOLLOUT tells when it has room again.
                WaitingWritable = true;
                return;
            }
        }
        WaitingWritable = false;
        if (ShutdownWhenSent)
        {
            // At the end of this turn, so that a connection closed right after (the usual case)
            // costs one close() rather than a shutdown() and a close().
            ShutdownWhenSent = false;
            _connection.Loop.Post(this);
        }
    }

    /// <summary>The turn's end: sends what the flushes of this turn left queued.</summary>
    void ILoopTurnEndWork.OnTurnEnd()
    {
        if (!_sendAtTurnEnd)
        {
            return;
        }
        _sendAtTurnEnd = false;
        // Closed since, its blocks went back then.
        if (!_connection.Closed)
        {
            TrySendNow();
        }
    }

    /// <summary>
    /// Sends now what a flush left for the turn's end; true when nothing is left unsent (a relay
    /// that takes over the socket below the pipe needs it empty). Nothing to send when it went
    /// already (a Complete, a large flush), or while waiting for EPOLLOUT, which sends it all.
    /// </summary>
    public bool TrySendNow()
    {
        if (!WaitingWritable && _error is null && _head is not null)
        {
            Send();
        }
        return _head is null && _error is null;
    }

    /// <summary>
    /// The connection is about to close: bytes a flush left for the turn's end go out first, as
    /// they would have had the flush sent them at once.
    /// </summary>
    public void OnClosing()
    {
        if (_sendAtTurnEnd)
        {
            TrySendNow();
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (!_connection.Closed)
        {
            Libc.Shutdown(_connection.Fd, Libc.SHUT_WR);
        }
    }

    /// <summary>Drops <paramref name="sent"/> bytes from the front of the queue, returning emptied blocks.</summary>
    private void ReleaseSent(long sent)
    {
        var pool = _connection.Loop.Buffers;
        while (_head is not null)
        {
            var available = _head.End - _headSent;
            if (sent < available)
            {
                _headSent += (int)sent;
                _unsent -= sent;
                return;
            }
            sent -= available;
            _unsent -= available;
            if (ReferenceEquals(_head, _tail))
            {
                if (_memoryLent)
                {
                    // The writer still fills the rest of this block: keep it, all of it sent.
                    _headSent = _head.End;
                    return;
                }
                // Keep nothing once all is out: an idle connection holds no block.
                pool.Return(_head);
                _head = _tail = null;
                _headSent = 0;
                _unsent = 0;
                return;
            }
            var done = _head;
            _head = done.NextSegment;
            _headSent = 0;
            pool.Return(done);
        }
        _unsent = 0;
    }

    /// <summary>epoll reported the socket writable (or closed, or in error).</summary>
    public void OnWritable()
    {
        if (!WaitingWritable)
        {
            return;
        }
        Send();
        if (Pending && (!WaitingWritable || _error is not null))
        {
            Pending = false;
            _source.Complete(_error is not null ? LoopCompletion.Faulted : LoopCompletion.Succeeded);
        }
    }

    public override void CancelPendingFlush()
    {
        if (!_connection.Loop.IsCurrent)
        {
            _connection.Loop.Post(CancelPendingFlush);
            return;
        }
        if (Pending)
        {
            Pending = false;
            _source.Complete(LoopCompletion.Canceled);
            return;
        }
        CancelRequested = true;
    }

    /// <summary>Sends what is left and then shuts the sending side (the peer reads the end).</summary>
    public override void Complete(Exception? exception = null)
    {
        if (!_connection.Loop.IsCurrent)
        {
            CompleteOnLoop(exception);
            return;
        }
        if (Completed)
        {
            return;
        }
        Completed = true;
        _memoryLent = false;
        if (_connection.Closed || _error is not null)
        {
            return;
        }
        ShutdownWhenSent = true;
        if (!WaitingWritable)
        {
            Send();
        }
    }

    /// <summary>
    /// Completes from another thread by way of the loop. A method of its own: a lambda in
    /// <see cref="Complete"/> would allocate its closure on every call, the loop's own included.
    /// </summary>
    private void CompleteOnLoop(Exception? exception) => _connection.Loop.Post(() => Complete(exception));

    /// <summary>The connection closed: a pending flush ends and blocks go back.</summary>
    public void OnClosed()
    {
        _memoryLent = false;
        ReleaseSent(long.MaxValue);
        if (Pending)
        {
            Pending = false;
            _error ??= new SocketException((int)SocketError.OperationAborted);
            _source.Complete(LoopCompletion.Faulted);
        }
    }

    FlushResult IValueTaskSource<FlushResult>.GetResult(short token) => _source.Take(token) switch
    {
        LoopCompletion.Faulted => throw _error!,
        LoopCompletion.Canceled => new FlushResult(isCanceled: true, isCompleted: false),
        _ => new FlushResult(isCanceled: false, isCompleted: false),
    };

    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token);
}
