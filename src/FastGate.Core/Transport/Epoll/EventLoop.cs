using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// One thread, one epoll set. Every connection it accepted or opened lives here for its whole
/// life: readiness, the connection's state machine, its timers and its writes all run on this
/// thread, with no hop to the thread pool. Other threads reach a connection only through
/// <see cref="Post(IThreadPoolWorkItem)"/>, which wakes the loop through an eventfd.
/// </summary>
public sealed unsafe class EventLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;
    // Events dispatched between two reads of the clock in a busy turn: a deadline armed late in
    // a full batch of 256 is then at most this many handlers' work early or late, not a whole turn's.
    private const int EventsPerClockRead = 32;

    [ThreadStatic]
    private static EventLoop? t_current;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<object> _posted = new();
    // Work for the end of this turn (see AtTurnEnd); an Action or an ILoopTurnEndWork each. Loop thread only.
    private object?[] _turnEnd = new object?[64];
    private int _turnEndCount;
    private readonly Action<Exception> _onError;
    private IEpollHandler?[] _handlers = new IEpollHandler?[256];
    private uint[] _generations = new uint[256];
    private int[] _freeSlots = new int[256];
    private int _freeCount;
    private int _slotsUsed;
    private int _wakePending;
    private volatile bool _stopping;
    // Stopwatch ticks read at the start of this turn (see Now); written and read on the loop thread only.
    private long _now;
    // busy_poll in Stopwatch ticks (0: off); the loop reads it at the end of each turn.
    private long _busyPollTicks;
    // Until when the loop polls without sleeping: the end of the busy_poll window that began
    // with the last turn that had events. Loop thread only.
    private long _pollUntil;

    public EventLoop(int index, Action<Exception> onError)
    {
        Index = index;
        _onError = onError;
        _epoll = Libc.EpollCreate(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new SocketException(Libc.Errno);
        }
        _wakeFd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_wakeFd < 0 || Libc.Control(_epoll, Libc.EPOLL_CTL_ADD, _wakeFd, Libc.EPOLLIN | Libc.EPOLLET, WakeToken) != 0)
        {
            var errno = Libc.Errno;
            Libc.Close(_epoll);
            throw new SocketException(errno);
        }
        _thread = new Thread(Run) { IsBackground = true, Name = $"fastgate-loop-{index}" };
    }

    /// <summary>The loop whose thread is running the caller; null off every loop.</summary>
    public static EventLoop? Current => t_current;

    public int Index { get; }

    public bool IsCurrent => t_current == this;

    public TimerWheel Timers { get; } = new();

    /// <summary>
    /// The time of this loop's turn, in <see cref="Stopwatch"/> ticks: read once when epoll_wait
    /// returns, again every <see cref="EventsPerClockRead"/> events of a long batch and before
    /// posted work runs. Deadlines, timers and request timings on the loop read it instead of the
    /// clock (a vdso call, 1.4-1.7 % of the loop's CPU on small proxied requests when each read
    /// its own). It never goes backwards and trails the clock by at most one batch of work, so a
    /// deadline armed from it runs at most that much early or late. Loop thread only: other
    /// threads read <see cref="LoopClock.Now"/>, which is the real clock off the loops.
    /// </summary>
    public long Now => _now;

    /// <summary>
    /// 32 KiB blocks: a 16 KiB response with its head arrives in one receive and leaves in one
    /// send (with 16 KiB blocks it took two receives and cost a third more CPU per request).
    /// Blocks are held only while bytes are in flight; the pool keeps at most 16 MiB.
    /// </summary>
    internal LoopBufferPool Buffers { get; } = new(32 * 1024, 512);

    /// <summary>Descriptors registered on this loop now (connections and listeners).</summary>
    public int Registered => _slotsUsed - _freeCount;

    public void Start() => _thread.Start();

    /// <summary>
    /// How long the loop keeps polling epoll without sleeping after a turn that had events
    /// (<c>busy_poll</c>); <see cref="TimeSpan.Zero"/> sleeps at once, as the loop does by default.
    /// A request that arrives inside the window is picked up by a running thread instead of
    /// waking a sleeping one (a context switch and, on an idle core, its wake-up latency); the
    /// price is a core spinning for the window after every burst of traffic. Takes effect from
    /// the loop's next turn.
    /// </summary>
    public TimeSpan BusyPoll
    {
        // Integer conversions both ways, so a value set reads back equal (a reload compares them).
        get => TimeSpan.FromTicks((long)((Int128)Volatile.Read(ref _busyPollTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
        set => Volatile.Write(ref _busyPollTicks, value <= TimeSpan.Zero ? 0 : (long)((Int128)value.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond));
    }

    /// <summary>Runs <paramref name="item"/> on the loop thread, after the events at hand.</summary>
    public void Post(IThreadPoolWorkItem item) => Enqueue(item);

    /// <summary>Runs <paramref name="action"/> on the loop thread, after the events at hand.</summary>
    public void Post(Action action) => Enqueue(action);

    /// <summary>
    /// Runs <paramref name="item"/> at the end of this turn: after the events of the epoll_wait
    /// batch, the posted work and the timers have run. Sends queued here leave together, so a
    /// client or origin woken by the first finds the others ready in the same epoll_wait instead
    /// of waking once per send. Work queued while the turn's end runs still runs in it. Loop
    /// thread only.
    /// </summary>
    public void AtTurnEnd(ILoopTurnEndWork item) => QueueAtTurnEnd(item);

    /// <summary>Runs <paramref name="action"/> at the end of this turn (see <see cref="AtTurnEnd(ILoopTurnEndWork)"/>); from another thread, posts it.</summary>
    internal void AtTurnEnd(Action action)
    {
        if (IsCurrent)
        {
            QueueAtTurnEnd(action);
        }
        else
        {
            // Off the loop (a continuation that resumed elsewhere): the end of the next turn is
            // after the posted work, which is as late as another thread can reach.
            Post(action);
        }
    }

    private void QueueAtTurnEnd(object item)
    {
        Debug.Assert(IsCurrent);
        if (_turnEndCount == _turnEnd.Length)
        {
            Array.Resize(ref _turnEnd, _turnEnd.Length * 2);
        }
        _turnEnd[_turnEndCount++] = item;
    }

    /// <summary>Continues an async method on this loop's thread (at once when already there).</summary>
    public LoopSwitch SwitchTo() => new(this);

    private void Enqueue(object item)
    {
        _posted.Enqueue(item);
        if (!IsCurrent && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    /// <summary>Adds <paramref name="fd"/> to the epoll set; returns the slot to release on close.</summary>
    internal int Register(IEpollHandler handler, int fd, uint events)
    {
        int slot;
        if (_freeCount > 0)
        {
            slot = _freeSlots[--_freeCount];
        }
        else
        {
            if (_slotsUsed == _handlers.Length)
            {
                Array.Resize(ref _handlers, _handlers.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
                Array.Resize(ref _freeSlots, _freeSlots.Length * 2);
            }
            slot = _slotsUsed++;
        }
        _handlers[slot] = handler;
        var errno = Libc.Control(_epoll, Libc.EPOLL_CTL_ADD, fd, events, Token(slot));
        if (errno != 0)
        {
            Release(slot);
            throw new SocketException(SocketErrors.FromErrno(errno));
        }
        return slot;
    }

    /// <summary>Adds a descriptor registered before (a listener resuming) under its slot again.</summary>
    internal int Rearm(int slot, int fd, uint events) => Libc.Control(_epoll, Libc.EPOLL_CTL_ADD, fd, events, Token(slot));

    /// <summary>Readiness of the descriptor in <paramref name="slot"/> goes to <paramref name="handler"/> from now on.</summary>
    internal void Rebind(int slot, IEpollHandler handler) => _handlers[slot] = handler;

    /// <summary>Takes <paramref name="fd"/> out of the epoll set, keeping its slot.</summary>
    internal int Remove(int fd) => Libc.Control(_epoll, Libc.EPOLL_CTL_DEL, fd, 0, 0);

    /// <summary>
    /// Frees a slot; events already fetched for it in this batch are dropped by the generation
    /// check. The descriptor must be closed or removed by the caller.
    /// </summary>
    internal void Release(int slot)
    {
        _handlers[slot] = null;
        _generations[slot]++;
        _freeSlots[_freeCount++] = slot;
    }

    private ulong Token(int slot) => ((ulong)_generations[slot] << 32) | (uint)slot;

    private void Run()
    {
        t_current = this;
        _now = Stopwatch.GetTimestamp();
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * Libc.EpollEventSize));
        try
        {
            while (!_stopping)
            {
                // The turn's time (the timers ran on it just before): a turn that worked long
                // sleeps at most that much past the next timer's tick. Inside a busy_poll window
                // the wait is 0: every poll is a turn of its own, so timers and posted work run
                // on it as on any turn, and the window, which only a turn with events extends,
                // ends by itself once traffic stops.
                var timeout = _posted.IsEmpty && _now >= _pollUntil ? Timers.WaitMilliseconds(_now) : 0;
                var count = Libc.EpollWait(_epoll, events, MaxEvents, timeout);
                ReadClock();
                if (count < 0)
                {
                    var errno = Libc.Errno;
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }
                    _onError(new SocketException(SocketErrors.FromErrno(errno)));
                    Thread.Sleep(10);
                    continue;
                }
                for (var i = 0; i < count; i++)
                {
                    if (i != 0 && i % EventsPerClockRead == 0)
                    {
                        ReadClock();
                    }
                    var entry = events + (i * Libc.EpollEventSize);
                    var flags = *(uint*)entry;
                    var token = *(ulong*)(entry + Libc.EpollDataOffset);
                    if (token == WakeToken)
                    {
                        ulong value;
                        Libc.Read(_wakeFd, (byte*)&value, sizeof(ulong));
                        continue;
                    }
                    Dispatch(token, flags);
                }
                RunPosted();
                if (Timers.Count > 0)
                {
                    RunTimers();
                }
                if (_turnEndCount > 0)
                {
                    RunTurnEnd();
                }
                if (count > 0)
                {
                    var busyPoll = Volatile.Read(ref _busyPollTicks);
                    if (busyPoll != 0)
                    {
                        // From the turn's end, not its start: a turn of work as long as the
                        // window would otherwise leave none to poll in.
                        _pollUntil = Stopwatch.GetTimestamp() + busyPoll;
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
            t_current = null;
        }
    }

    // Stopwatch is CLOCK_MONOTONIC: each read is at or after the last, so Now never goes backwards.
    private void ReadClock() => _now = Stopwatch.GetTimestamp();

    private void Dispatch(ulong token, uint flags)
    {
        var slot = (int)(uint)token;
        var handler = _handlers[slot];
        if (handler is null || _generations[slot] != (uint)(token >> 32))
        {
            return;
        }
        try
        {
            handler.OnEvents(flags);
        }
        catch (Exception ex)
        {
            _onError(ex);
        }
    }

    private void RunPosted()
    {
        // A full fence, not a release store: the queue is read below and again before the next
        // epoll_wait. A plain store may still sit in the store buffer while those reads run, so a
        // thread that enqueues meanwhile could read the old 1, skip the eventfd write, and the
        // loop would sleep on work it had not seen (the classic lost wake-up).
        Interlocked.Exchange(ref _wakePending, 0);
        // Most turns post nothing; IsEmpty is a read or two where Count walks the queue's segments.
        if (_posted.IsEmpty)
        {
            return;
        }
        // Work posted from another thread may carry a time it read there: the turn's time is read
        // again after it was queued, so a duration it starts and the loop ends is not negative.
        ReadClock();
        // Only what is queued now: work a posted item queues runs on the next turn, after I/O.
        var pending = _posted.Count;
        while (pending-- > 0 && _posted.TryDequeue(out var item))
        {
            try
            {
                // Only Post puts items here, so an item is an Action or an IThreadPoolWorkItem.
                // Action is sealed: testing for it is one type-handle compare, where testing for
                // the interface walks the item's interface list on every post.
                if (item is Action action)
                {
                    action();
                }
                else
                {
                    Unsafe.As<IThreadPoolWorkItem>(item).Execute();
                }
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }
    }

    private void RunTurnEnd()
    {
        // The count is read again on every step: what an item queues (a flush from a continuation
        // resumed here) runs in this pass too, never left for a turn that may sleep first.
        for (var i = 0; i < _turnEndCount; i++)
        {
            var item = _turnEnd[i];
            _turnEnd[i] = null;
            try
            {
                // As in RunPosted: Action is sealed, one type-handle compare.
                if (item is Action action)
                {
                    action();
                }
                else
                {
                    Unsafe.As<ILoopTurnEndWork>(item!).OnTurnEnd();
                }
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }
        _turnEndCount = 0;
    }

    private void RunTimers()
    {
        try
        {
            Timers.Run(_now);
        }
        catch (Exception ex)
        {
            _onError(ex);
        }
    }

    /// <summary>Stops the thread after its current turn; descriptors still registered are left to their owners.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        if (_thread.IsAlive)
        {
            ulong one = 1;
            Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
            if (!IsCurrent)
            {
                _thread.Join(TimeSpan.FromSeconds(5));
            }
        }
        Libc.Close(_wakeFd);
        Libc.Close(_epoll);
    }

    /// <summary>The awaitable of <see cref="SwitchTo"/>.</summary>
    public readonly struct LoopSwitch(EventLoop loop) : ICriticalNotifyCompletion
    {
        public LoopSwitch GetAwaiter() => this;

        public bool IsCompleted => loop.IsCurrent;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => loop.Post(continuation);

        public void UnsafeOnCompleted(Action continuation) => loop.Post(continuation);
    }
}
