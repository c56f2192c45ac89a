using System.Threading.Tasks.Sources;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// A reusable wake-up for one waiter (a stream's response pump, the connection's writer): a
/// <see cref="Set"/> that finds nobody waiting is kept for the next <see cref="WaitAsync"/>, so no
/// wake is lost and no object is allocated per wait. The waiter re-checks its condition after
/// each wake, so a spurious one costs a loop turn, never correctness.
/// <para>
/// Bound to an event loop, the waiter always resumes on that loop, at the end of the loop's turn:
/// a connection's writer owns the loop's sender, which only the loop thread may touch, and the
/// frames every stream queued during one turn then leave in one send.
/// </para>
/// </summary>
internal sealed class Http2Signal : IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Signaled = 2;

    private ManualResetValueTaskSourceCore<bool> _core;
    private readonly EventLoop? _loop;
    private int _state;

    public Http2Signal(bool runAsynchronously = false) => _core.RunContinuationsAsynchronously = runAsynchronously;

    /// <summary>A signal whose waiter resumes on <paramref name="loop"/> (inline when null).</summary>
    public Http2Signal(EventLoop? loop) => _loop = loop;

    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            return default;
        }
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Signaled)
        {
            // Set between the two steps: consume it.
            Volatile.Write(ref _state, Idle);
            return default;
        }
        return new ValueTask(this, _core.Version);
    }

    /// <summary>
    /// Wakes the waiter (inline, on this thread, unless built to run asynchronously or on a loop);
    /// never call it holding a lock the waiter takes.
    /// </summary>
    public void Set()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Signaled)
            {
                return;
            }
            if (state == Idle)
            {
                if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle)
                {
                    return;
                }
                continue;
            }
            if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                if (_loop is not null)
                {
                    // Posted even on the loop thread: the waiter runs once, after the turn's events.
                    _loop.Post(this);
                    return;
                }
                _core.SetResult(true);
                return;
            }
        }
    }

    // The posted wake of a loop-bound signal: the waiter is still parked (nothing else resumes it).
    void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
