using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// The reading side of an <see cref="EpollConnection"/>. It receives only when the consumer asks
/// for bytes and epoll has said the socket is readable (edge-triggered): a read shorter than the
/// block means the socket is drained, so no receive ever comes back empty-handed in the normal
/// case. Blocks come from the loop's pool as bytes arrive and go back as soon as they are
/// consumed, so a connection waiting for its next request holds none. Loop thread only.
/// </summary>
internal sealed unsafe class LoopReceiver : PipeReader, IValueTaskSource<ReadResult>
{
    private const byte PeerClosedFlag = 1;
    private const byte EndedFlag = 2;
    private const byte CancelRequestedFlag = 4;
    private const byte CompletedFlag = 8;

    private readonly EpollConnection _connection;
    private LoopCompletion _source;
    private LoopSegment? _head;
    private int _headStart;
    private LoopSegment? _tail;
    // Bytes the consumer has not examined yet: a read returns at once.
    private bool _unexamined;
    // epoll said readable and no receive has drained the socket since.
    private bool _readable;
    private bool _pending;
    // Four states as bits of one byte, not four bools: the reader then takes 96 bytes, not 104,
    // in every connection, idle ones included.
    private byte _flags;
    private Exception? _error;
    private IParkedReader? _parked;

    public LoopReceiver(EpollConnection connection)
    {
        _connection = connection;
    }

    /// <summary>The peer shut down its side: after the buffered bytes, the next receive returns 0.</summary>
    private bool PeerClosed
    {
        get => (_flags & PeerClosedFlag) != 0;
        set => SetFlag(PeerClosedFlag, value);
    }

    private bool Ended
    {
        get => (_flags & EndedFlag) != 0;
        set => SetFlag(EndedFlag, value);
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

    private void SetFlag(byte flag, bool on) => _flags = on ? (byte)(_flags | flag) : (byte)(_flags & ~flag);

    /// <summary>True while a block is held (bytes received and not consumed).</summary>
    public bool HoldsBuffer => _head is not null;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (TryRead(out var result))
        {
            return new ValueTask<ReadResult>(result);
        }
        if (_pending)
        {
            throw new InvalidOperationException("A read is already pending.");
        }
        _pending = true;
        _source.Reset();
        return new ValueTask<ReadResult>(this, _source.Version);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (Completed)
        {
            throw new InvalidOperationException("The reader was completed.");
        }
        if (CancelRequested)
        {
            CancelRequested = false;
            result = new ReadResult(Buffered(), isCanceled: true, isCompleted: Ended);
            return true;
        }
        if (!_unexamined && !Ended && _error is null && _readable)
        {
            Receive();
        }
        if (_error is not null && !_unexamined)
        {
            throw _error;
        }
        if (_unexamined || Ended)
        {
            result = new ReadResult(Buffered(), isCanceled: false, isCompleted: Ended);
            return true;
        }
        result = default;
        return false;
    }

    /// <summary>
    /// Leaves <paramref name="waiter"/> to be told when the socket turns readable (or a read is
    /// cancelled), instead of a pending read; false when bytes, an end or a cancel may already wait.
    /// </summary>
    public bool TryPark(IParkedReader waiter)
    {
        if (Completed || _pending || _unexamined || _readable || Ended || CancelRequested || _error is not null)
        {
            return false;
        }
        _parked = waiter;
        return true;
    }

    /// <summary>epoll reported the socket readable (or closed, or in error).</summary>
    public void OnReadable(uint events)
    {
        _readable = true;
        if ((events & (Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            PeerClosed = true;
        }
        if (_parked is { } waiter)
        {
            _parked = null;
            waiter.OnReadable();
            return;
        }
        if (_pending && !Completed)
        {
            Receive();
            if (_unexamined || Ended || _error is not null)
            {
                CompletePending();
            }
        }
    }

    /// <summary>
    /// Receives into the tail block until the socket is drained or one block is full (the
    /// consumer then gets those bytes and the next read receives again).
    /// </summary>
    private void Receive()
    {
        var pool = _connection.Loop.Buffers;
        var fresh = false;
        if (_tail is null || _tail.Free == 0)
        {
            var segment = pool.Rent();
            if (_tail is null)
            {
                segment.Start(0);
                _head = _tail = segment;
                _headStart = 0;
            }
            else
            {
                _tail.Link(segment);
                _tail = segment;
            }
            fresh = true;
        }
        var tail = _tail;
        var free = tail.Free;
        while (true)
        {
            nint received;
            fixed (byte* block = &tail.Block[tail.End])
            {
                received = Libc.Receive(_connection.Fd, block, free, 0);
            }
            if (received > 0)
            {
                tail.Commit((int)received);
                _unexamined = true;
                // A short read drained the socket; a full one may have left more behind. After the
                // peer's FIN the next receive must run to see the end.
                _readable = received == free || PeerClosed;
                return;
            }
            if (received == 0)
            {
                Ended = true;
                _readable = false;
                break;
            }
            var errno = Libc.Errno;
            if (errno == Libc.EINTR)
            {
                continue;
            }
            _readable = false;
            if (errno != Libc.EAGAIN)
            {
                _error = SocketErrors.Exception(errno);
            }
            break;
        }
        if (fresh && tail.End == 0)
        {
            DropTail(tail);
        }
    }

    private void DropTail(LoopSegment tail)
    {
        if (ReferenceEquals(_head, tail))
        {
            _head = _tail = null;
            _headStart = 0;
        }
        else
        {
            var previous = _head!;
            while (!ReferenceEquals(previous.Next, tail))
            {
                previous = previous.NextSegment!;
            }
            previous.Unlink();
            _tail = previous;
        }
        _connection.Loop.Buffers.Return(tail);
    }

    private ReadOnlySequence<byte> Buffered() =>
        _head is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_head, _headStart, _tail!, _tail!.End);

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_head is null)
        {
            _unexamined = false;
            return;
        }
        var consumedSegment = (LoopSegment?)consumed.GetObject() ?? _head;
        var consumedIndex = consumed.GetInteger();
        var pool = _connection.Loop.Buffers;
        while (!ReferenceEquals(_head, consumedSegment))
        {
            var done = _head!;
            _head = done.NextSegment;
            pool.Return(done);
            if (_head is null)
            {
                // A position outside this reader's segments: treat everything as consumed.
                _tail = null;
                _headStart = 0;
                _unexamined = false;
                return;
            }
        }
        _headStart = consumedIndex;
        // Examined up to the end: the next read waits for new bytes; short of it, returns at once.
        _unexamined = !(ReferenceEquals(examined.GetObject(), _tail) && examined.GetInteger() >= _tail!.End);
        if (ReferenceEquals(_head, _tail) && _headStart >= _tail!.End)
        {
            pool.Return(_head!);
            _head = _tail = null;
            _headStart = 0;
            _unexamined = false;
        }
    }

    public override void CancelPendingRead()
    {
        if (!_connection.Loop.IsCurrent)
        {
            _connection.Loop.Post(CancelPendingRead);
            return;
        }
        if (_pending)
        {
            _pending = false;
            _source.Complete(LoopCompletion.Canceled);
            return;
        }
        CancelRequested = true;
        if (_parked is { } waiter)
        {
            _parked = null;
            waiter.OnReadable();
        }
    }

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
        Release();
    }

    /// <summary>
    /// Completes from another thread by way of the loop. A method of its own: a lambda in
    /// <see cref="Complete"/> would allocate its closure on every call, the loop's own included.
    /// </summary>
    private void CompleteOnLoop(Exception? exception) => _connection.Loop.Post(() => Complete(exception));

    /// <summary>The connection closed: pending reads end and blocks go back.</summary>
    public void OnClosed()
    {
        if (_pending)
        {
            _error ??= new SocketException((int)SocketError.OperationAborted);
            CompletePending();
        }
        Ended = true;
        Release();
    }

    private void Release()
    {
        _connection.Loop.Buffers.ReturnAll(_head);
        _head = _tail = null;
        _headStart = 0;
        _unexamined = false;
    }

    private void CompletePending()
    {
        _pending = false;
        _source.Complete(_error is not null && !_unexamined ? LoopCompletion.Faulted : LoopCompletion.Succeeded);
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _source.Take(token) switch
    {
        LoopCompletion.Faulted => throw _error!,
        LoopCompletion.Canceled => new ReadResult(Buffered(), isCanceled: true, isCompleted: Ended),
        _ => new ReadResult(Buffered(), isCanceled: false, isCompleted: Ended),
    };

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token);
}
