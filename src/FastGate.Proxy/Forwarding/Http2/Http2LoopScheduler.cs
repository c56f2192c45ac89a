using System.IO.Pipelines;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Runs a bridge pipe's continuations on the stream's event loop, after the events at hand: the
/// exchange resumed by DATA the read loop wrote, or by room the pump made in a full response
/// pipe, goes on on the loop (where its upstream lives) once the read loop or the pump is done,
/// never nested inside them. One per pipe side of a stream object: a pipe has at most one
/// continuation pending per side, which waits in this object itself, so a wake allocates nothing.
/// </summary>
internal sealed class Http2LoopScheduler(EventLoop loop) : PipeScheduler, IThreadPoolWorkItem
{
    private Action<object?>? _action;
    private object? _state;
    private int _queued;

    public override void Schedule(Action<object?> action, object? state)
    {
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
