namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// An outgoing <see cref="EpollConnection"/>'s connect in progress: its result and the timer that
/// ends it, in one object that only a connecting connection holds.
/// </summary>
internal sealed class PendingConnect(LoopTimer timer) : TaskCompletionSource<ITransport>
{
    public LoopTimer Timer { get; } = timer;
}
