using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// A pipe whose writer and reader both run on one event loop's thread: the plaintext between a
/// TLS connection's record pumps and the HTTP code above them. What a
/// <see cref="System.IO.Pipelines.Pipe"/> spends on being shared between threads (a lock on every
/// read, advance and flush, a scheduler call per wake) buys nothing there. Blocks come from the
/// loop's pool as the writer asks and go back as soon as the reader has consumed everything
/// written, so a connection between requests holds none. A flush wakes a waiting reader and an
/// advance that makes room wakes a waiting writer, inline, as the loop's socket pipes do.
/// <para>
/// Loop thread only, as <see cref="LoopReceiver"/> and <see cref="LoopSender"/>: a cancel or a
/// completion from another thread is posted to the loop. The writer keeps a span it was given
/// only until its next <see cref="PipeWriter.Advance"/> (never across an await); a reader that
/// drains the pipe meanwhile leaves that block to the writer.
/// </para>
/// <para>
/// A side may ask for its wakes to be posted instead (an HTTP/2 stream's exchange, woken by the
/// connection's read loop or a response pump that must not have it run nested inside them): its
/// pending read or flush then completes after the events at hand, from a work item the pipe holds,
/// so a posted wake allocates nothing either. A pipe whose ends are both complete may be
/// <see cref="Reset"/> for another life, as a <see cref="System.IO.Pipelines.Pipe"/>.
/// </para>
/// </summary>
public sealed class LoopPipe : IValueTaskSource<ReadResult>, IValueTaskSource<FlushResult>
{
    private readonly EventLoop _loop;
    // The side's wake, posted to the loop; null when it runs inline.
    private readonly PostedWake? _readerWake;
    private readonly PostedWake? _writerWake;
    private readonly long _pauseWriterThreshold;
    private readonly long _resumeWriterThreshold;
    private LoopCompletion _reading;
    private LoopCompletion _flushing;
    // The blocks, from the first byte not consumed (_head at _headStart) to where the writer writes
    // (_tail). The reader sees up to the last flush (_flushedTail at _flushedEnd).
    private LoopSegment? _head;
    private int _headStart;
    private LoopSegment? _tail;
    private LoopSegment? _flushedTail;
    private int _flushedEnd;
    // Flushed and not consumed: what the writer's back-pressure is judged by.
    private long _buffered;
    // Advanced and not flushed.
    private long _unflushed;
    // The writer holds a span of _tail (given by GetMemory, not advanced yet).
    private bool _writing;
    // Flushed bytes the reader has not examined: a read returns at once.
    private bool _unexamined;
    private bool _readPending;
    private bool _flushPending;
    private bool _readCancelRequested;
    private bool _flushCancelRequested;
    private bool _readerCompleted;
    private bool _writerCompleted;
    private Exception? _readerError;
    private Exception? _writerError;
    // Told when the reader would have something to read, instead of a pending read (an idle keep-alive connection).
    private IParkedReader? _parked;

    /// <param name="pauseWriterThreshold">Flushed bytes not consumed at which a flush waits for the reader.</param>
    /// <param name="resumeWriterThreshold">Below this many, a waiting flush completes.</param>
    public LoopPipe(EventLoop loop, long pauseWriterThreshold, long resumeWriterThreshold)
        : this(loop, pauseWriterThreshold, resumeWriterThreshold, postReaderWakes: false, postWriterWakes: false)
    {
    }

    /// <param name="pauseWriterThreshold">Flushed bytes not consumed at which a flush waits for the reader; <see cref="long.MaxValue"/> for a writer that never waits.</param>
    /// <param name="resumeWriterThreshold">Below this many, a waiting flush completes.</param>
    /// <param name="postReaderWakes">A pending read completes posted to the loop, never inline in the code that woke it.</param>
    /// <param name="postWriterWakes">A pending flush completes posted to the loop, never inline in the code that woke it.</param>
    public LoopPipe(EventLoop loop, long pauseWriterThreshold, long resumeWriterThreshold, bool postReaderWakes, bool postWriterWakes)
    {
        _loop = loop;
        _pauseWriterThreshold = pauseWriterThreshold;
        _resumeWriterThreshold = resumeWriterThreshold;
        _readerWake = postReaderWakes ? new PostedWake(this, reader: true) : null;
        _writerWake = postWriterWakes ? new PostedWake(this, reader: false) : null;
        Reader = new LoopPipeReader(this);
        Writer = new LoopPipeWriter(this);
    }

    public PipeReader Reader { get; }

    public PipeWriter Writer { get; }

    internal EventLoop Loop => _loop;

    /// <summary>True while a block is held (bytes written and not consumed, or a span handed to the writer).</summary>
    public bool HoldsBuffer => _head is not null;

    // ---------------------------------------------------------------- writer

    internal Memory<byte> GetMemory(int sizeHint)
    {
        var tail = Writable(sizeHint);
        return tail.Block.AsMemory(tail.End);
    }

    /// <summary>
    /// As <see cref="GetMemory"/>, the span straight from the block: no <see cref="Memory{T}"/>
    /// made and then taken apart again, on every write of the HTTP code above the pipe.
    /// </summary>
    internal Span<byte> GetSpan(int sizeHint)
    {
        var tail = Writable(sizeHint);
        return tail.Block.AsSpan(tail.End);
    }

    /// <summary>The block the writer writes into, with at least <paramref name="sizeHint"/> bytes (1 for 0) free.</summary>
    private LoopSegment Writable(int sizeHint)
    {
        Debug.Assert(_loop.IsCurrent);
        if (sizeHint < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeHint));
        }
        var need = Math.Max(sizeHint, 1);
        if (_tail is null || _tail.Free < need)
        {
            Append(need);
        }
        _writing = true;
        return _tail!;
    }

    private void Append(int need)
    {
        var segment = _loop.Buffers.Rent(need);
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
    }

    internal void Advance(int bytes)
    {
        Debug.Assert(_loop.IsCurrent);
        _writing = false;
        if (bytes == 0)
        {
            // A span asked for and left unused (a decrypt that found no record): give its block back
            // when nothing else is held, or an idle connection would keep it.
            ReleaseIfEmpty();
            return;
        }
        if (_tail is null || bytes < 0 || bytes > _tail.Free)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }
        _tail.Commit(bytes);
        _unflushed += bytes;
    }

    internal long UnflushedBytes => _unflushed;

    internal ValueTask<FlushResult> FlushAsync()
    {
        Debug.Assert(_loop.IsCurrent);
        if (_flushCancelRequested)
        {
            _flushCancelRequested = false;
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }
        if (_writerCompleted)
        {
            throw new InvalidOperationException("The writer was completed.");
        }
        if (_flushPending)
        {
            throw new InvalidOperationException("A flush is already pending.");
        }
        Commit();
        if (!_readerCompleted)
        {
            WakeReader();
        }
        if (_readerCompleted)
        {
            // Nobody will read what was written: it goes, as on a socket the peer closed.
            Discard();
            if (_readerError is not null)
            {
                throw _readerError;
            }
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        }
        if (_buffered < _pauseWriterThreshold)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }
        _flushPending = true;
        _flushing.Reset();
        return new ValueTask<FlushResult>(this, _flushing.Version);
    }

    /// <summary>Makes what was advanced since the last flush visible to the reader.</summary>
    private void Commit()
    {
        if (_unflushed == 0)
        {
            return;
        }
        _flushedTail = _tail;
        _flushedEnd = _tail!.End;
        _buffered += _unflushed;
        _unflushed = 0;
        _unexamined = true;
    }

    internal void CancelPendingFlush()
    {
        if (!_loop.IsCurrent)
        {
            _loop.Post(CancelPendingFlush);
            return;
        }
        if (_flushPending)
        {
            _flushPending = false;
            CompleteFlush(LoopCompletion.Canceled);
            return;
        }
        _flushCancelRequested = true;
    }

    /// <summary>The writer is done: what it advanced is flushed, and the reader reads the end (or the error) after it.</summary>
    internal void CompleteWriter(Exception? exception)
    {
        if (!_loop.IsCurrent)
        {
            CompleteWriterOnLoop(exception);
            return;
        }
        if (_writerCompleted)
        {
            return;
        }
        _writerCompleted = true;
        _writerError = exception;
        _writing = false;
        if (_readerCompleted)
        {
            Discard();
            return;
        }
        Commit();
        ReleaseIfEmpty();
        WakeReader();
    }

    // A method of its own: a lambda in CompleteWriter would allocate its closure on every call, the loop's own included.
    private void CompleteWriterOnLoop(Exception? exception) => _loop.Post(() => CompleteWriter(exception));

    // ---------------------------------------------------------------- reader

    /// <summary>
    /// Leaves <paramref name="waiter"/> to be told, on the loop, when a read would return (bytes
    /// flushed, the writer done or failed, a read cancelled) instead of a pending read, as
    /// <see cref="LoopReceiver.TryPark"/>; false when the pipe holds bytes or a read would return now.
    /// </summary>
    internal bool TryPark(IParkedReader waiter)
    {
        Debug.Assert(_loop.IsCurrent);
        if (_readerCompleted || _writerCompleted || _readPending || _readCancelRequested || _unexamined ||
            _buffered > 0 || _parked is not null)
        {
            return false;
        }
        _parked = waiter;
        return true;
    }

    /// <summary>True while a reader is parked on this pipe.</summary>
    internal bool IsParked => _parked is not null;

    /// <summary>A read would return now: the parked reader goes on (it reads at once).</summary>
    private void WakeParked()
    {
        if (_parked is { } waiter)
        {
            _parked = null;
            waiter.OnReadable();
        }
    }

    internal ValueTask<ReadResult> ReadAsync()
    {
        if (TryRead(out var result))
        {
            return new ValueTask<ReadResult>(result);
        }
        if (_readPending)
        {
            throw new InvalidOperationException("A read is already pending.");
        }
        _readPending = true;
        _reading.Reset();
        return new ValueTask<ReadResult>(this, _reading.Version);
    }

    internal bool TryRead(out ReadResult result)
    {
        Debug.Assert(_loop.IsCurrent);
        if (_readerCompleted)
        {
            throw new InvalidOperationException("The reader was completed.");
        }
        if (_readCancelRequested)
        {
            _readCancelRequested = false;
            result = new ReadResult(Buffered(), isCanceled: true, isCompleted: _writerCompleted);
            return true;
        }
        if (_writerError is not null)
        {
            // As a Pipe: the writer's failure ends the reading at once.
            throw _writerError;
        }
        if (_unexamined || _writerCompleted)
        {
            result = new ReadResult(Buffered(), isCanceled: false, isCompleted: _writerCompleted);
            return true;
        }
        result = default;
        return false;
    }

    private ReadOnlySequence<byte> Buffered() =>
        _head is null || _flushedTail is null
            ? ReadOnlySequence<byte>.Empty
            : new ReadOnlySequence<byte>(_head, _headStart, _flushedTail, _flushedEnd);

    internal void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Debug.Assert(_loop.IsCurrent);
        if (_readerCompleted)
        {
            throw new InvalidOperationException("The reader was completed.");
        }
        if (_head is null || _flushedTail is null)
        {
            _unexamined = false;
            return;
        }
        if (consumed.GetObject() is LoopSegment consumedSegment)
        {
            var pool = _loop.Buffers;
            var from = _head.RunningIndex + _headStart;
            var to = consumedSegment.RunningIndex + consumed.GetInteger();
            if (to > from)
            {
                _buffered -= to - from;
                while (!ReferenceEquals(_head, consumedSegment))
                {
                    var done = _head!;
                    _head = done.NextSegment;
                    pool.Return(done);
                    if (_head is null)
                    {
                        throw new InvalidOperationException("The position is not one of this pipe's.");
                    }
                }
                _headStart = consumed.GetInteger();
            }
        }
        // Examined up to the last flush: the next read waits for more; short of it, returns at once.
        _unexamined = _buffered > 0 &&
            !(ReferenceEquals(examined.GetObject(), _flushedTail) && examined.GetInteger() >= _flushedEnd);
        ReleaseIfEmpty();
        if (_flushPending && _buffered < _resumeWriterThreshold)
        {
            _flushPending = false;
            CompleteFlush(LoopCompletion.Succeeded);
        }
    }

    internal void CancelPendingRead()
    {
        if (!_loop.IsCurrent)
        {
            _loop.Post(CancelPendingRead);
            return;
        }
        if (_readPending)
        {
            _readPending = false;
            CompleteRead(LoopCompletion.Canceled);
            return;
        }
        _readCancelRequested = true;
        WakeParked();
    }

    /// <summary>The reader is done: what is buffered goes, and the writer's next flush says so.</summary>
    internal void CompleteReader(Exception? exception)
    {
        if (!_loop.IsCurrent)
        {
            CompleteReaderOnLoop(exception);
            return;
        }
        if (_readerCompleted)
        {
            return;
        }
        _readerCompleted = true;
        _readerError = exception;
        _readPending = false;
        _parked = null;
        Discard();
        if (_flushPending)
        {
            _flushPending = false;
            CompleteFlush(exception is null ? LoopCompletion.Succeeded : LoopCompletion.Faulted);
        }
    }

    // A method of its own, as CompleteWriterOnLoop.
    private void CompleteReaderOnLoop(Exception? exception) => _loop.Post(() => CompleteReader(exception));

    private void WakeReader()
    {
        if (_readPending && (_unexamined || _writerCompleted))
        {
            _readPending = false;
            CompleteRead(_writerError is not null ? LoopCompletion.Faulted : LoopCompletion.Succeeded);
            return;
        }
        if (_unexamined || _writerCompleted)
        {
            WakeParked();
        }
    }

    // ---------------------------------------------------------------- blocks

    /// <summary>Everything written was consumed and the writer holds no span: every block goes back.</summary>
    private void ReleaseIfEmpty()
    {
        if (_buffered == 0 && _unflushed == 0 && !_writing && _head is not null)
        {
            ReleaseAll();
        }
    }

    /// <summary>Drops every byte held; the block the writer is writing into stays with it.</summary>
    private void Discard()
    {
        _buffered = 0;
        _unflushed = 0;
        _unexamined = false;
        if (!_writing)
        {
            ReleaseAll();
            return;
        }
        var pool = _loop.Buffers;
        while (!ReferenceEquals(_head, _tail))
        {
            var done = _head!;
            _head = done.NextSegment;
            pool.Return(done);
        }
        // What the writer advances into it later is dropped at its next flush.
        _tail!.Unlink();
        _headStart = _tail.End;
        _flushedTail = null;
    }

    /// <summary>
    /// Makes the pipe new for another life, once both its ends are complete (loop thread): empty,
    /// no end complete, no cancel waiting. Every block already went back with the completions.
    /// </summary>
    public void Reset()
    {
        Debug.Assert(_loop.IsCurrent);
        if (!_readerCompleted || !_writerCompleted)
        {
            throw new InvalidOperationException("Both ends of the pipe must be complete before it is reset.");
        }
        Debug.Assert(_head is null && !_writing, "a completed loop pipe still holds a block");
        Debug.Assert(!(_readerWake?.IsQueued ?? false) && !(_writerWake?.IsQueued ?? false), "a loop pipe reset with a wake still posted");
        ReleaseAll();
        _buffered = 0;
        _unflushed = 0;
        _writing = false;
        _unexamined = false;
        _readPending = false;
        _flushPending = false;
        _readCancelRequested = false;
        _flushCancelRequested = false;
        _readerCompleted = false;
        _writerCompleted = false;
        _readerError = null;
        _writerError = null;
        _parked = null;
    }

    private void ReleaseAll()
    {
        _loop.Buffers.ReturnAll(_head);
        _head = _tail = _flushedTail = null;
        _headStart = 0;
        _flushedEnd = 0;
    }

    // ---------------------------------------------------------------- completions

    /// <summary>Ends the pending read: the reader resumes inline, or after the events at hand when its wakes are posted.</summary>
    private void CompleteRead(byte status)
    {
        if (_readerWake is null)
        {
            _reading.Complete(status);
            return;
        }
        _readerWake.Post(status);
    }

    /// <summary>Ends the pending flush: the writer resumes inline, or after the events at hand when its wakes are posted.</summary>
    private void CompleteFlush(byte status)
    {
        if (_writerWake is null)
        {
            _flushing.Complete(status);
            return;
        }
        _writerWake.Post(status);
    }

    /// <summary>
    /// A posted wake runs: the operation ends as it was woken, or failed when the other end failed
    /// meanwhile (what a read or flush that had not waited would see now; the result itself is
    /// built from the pipe's state when it is taken).
    /// </summary>
    private void RunPostedWake(bool reader, byte status)
    {
        if (reader)
        {
            _reading.Complete(status == LoopCompletion.Succeeded && _writerError is not null ? LoopCompletion.Faulted : status);
            return;
        }
        _flushing.Complete(status == LoopCompletion.Succeeded && _readerError is not null ? LoopCompletion.Faulted : status);
    }

    /// <summary>
    /// The wake of one side of the pipe, posted to the loop: a side has at most one operation
    /// pending, woken once, so one work item per side serves every wake without allocating.
    /// </summary>
    private sealed class PostedWake(LoopPipe pipe, bool reader) : IThreadPoolWorkItem
    {
        private byte _status;
        private bool _queued;

        public bool IsQueued => _queued;

        public void Post(byte status)
        {
            Debug.Assert(!_queued, "a side of a loop pipe woken twice for one operation");
            _status = status;
            _queued = true;
            pipe._loop.Post(this);
        }

        void IThreadPoolWorkItem.Execute()
        {
            _queued = false;
            pipe.RunPostedWake(reader, _status);
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _reading.Take(token) switch
    {
        LoopCompletion.Faulted => throw _writerError!,
        LoopCompletion.Canceled => new ReadResult(Buffered(), isCanceled: true, isCompleted: _writerCompleted),
        _ => new ReadResult(Buffered(), isCanceled: false, isCompleted: _writerCompleted),
    };

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _reading.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _reading.OnCompleted(continuation, state, token);

    FlushResult IValueTaskSource<FlushResult>.GetResult(short token) => _flushing.Take(token) switch
    {
        LoopCompletion.Faulted => throw _readerError!,
        LoopCompletion.Canceled => new FlushResult(isCanceled: true, isCompleted: false),
        _ => new FlushResult(isCanceled: false, isCompleted: _readerCompleted),
    };

    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _flushing.GetStatus(token);

    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _flushing.OnCompleted(continuation, state, token);
}
