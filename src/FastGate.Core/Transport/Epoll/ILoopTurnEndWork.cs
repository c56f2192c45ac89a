namespace FastGate.Core.Transport.Epoll;

/// <summary>Work queued with <see cref="EventLoop.AtTurnEnd(ILoopTurnEndWork)"/>; run on the loop thread at the end of its turn.</summary>
public interface ILoopTurnEndWork
{
    void OnTurnEnd();
}
