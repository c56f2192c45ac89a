namespace FastGate.Core.Transport.Epoll;

/// <summary>Told on its loop's thread when its <see cref="LoopTimer"/> comes due.</summary>
public interface ILoopTimerTarget
{
    void OnTimer(long now);
}
