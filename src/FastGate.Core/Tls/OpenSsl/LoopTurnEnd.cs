using System.Runtime.CompilerServices;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// Awaiting it resumes on the loop at the end of the turn at hand (<see cref="EventLoop.AtTurnEnd(Action)"/>),
/// after its events, posted work and timers: what the rest of the turn writes can join what was
/// written so far (a response and the close_notify after it, or pipelined responses) in one
/// send, and the records it flushes leave with the turn's other sends. Await it on the loop
/// thread only. The continuation is the async method's cached one: no allocation per await.
/// </summary>
internal readonly struct LoopTurnEnd(EventLoop loop) : ICriticalNotifyCompletion
{
    public LoopTurnEnd GetAwaiter() => this;

    public bool IsCompleted => false;

    public void GetResult()
    {
    }

    public void OnCompleted(Action continuation) => loop.AtTurnEnd(continuation);

    public void UnsafeOnCompleted(Action continuation) => loop.AtTurnEnd(continuation);
}
