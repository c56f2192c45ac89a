using System.IO.Pipelines;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Transport;

/// <summary>
/// Runs one pipe side's continuation on an event loop. With <c>inlineOnLoop</c>, a wake that
/// happens on the loop itself runs at once (a loop transport's pump and the HTTP code above it
/// both live there, so a wake costs a call, not a hop); without it, every wake is posted, so the
/// continuation runs after the events at hand rather than nested inside the code that woke it (an
/// HTTP/2 stream's exchange, resumed by the connection's read loop or response pump). One per
/// pipe side: a side has at most one continuation pending, which waits in this object, so a
/// posted wake allocates nothing either.
/// </summary>
public sealed class LoopPipeScheduler(EventLoop loop, bool inlineOnLoop) : PipeScheduler, IThreadPoolWorkItem
{
    private Action<object?>? _action;
    private object? _state;
    private int _queued;

    public override void Schedule(Action<object?> action, object? state)
    {
        if (inlineOnLoop && loop.IsCurrent)
        {
            action(state);
            return;
        }
        if (Interlocked.CompareExchange(ref _queued, 1, 0) == 0)
        {
            _action = action;
            _state = state;
            loop.Post(this);
            return;
        }
        // A second continuation before the first ran (not expected of one pipe side): posted on its own.
        loop.Post(() => action(state));
    }

    void IThreadPoolWorkItem.Execute()
    {
        var action = _action!;
        var state = _state;
        _action = null;
        _state = null;
        Volatile.Write(ref _queued, 0);
        action(state);
    }
}
