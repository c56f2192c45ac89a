namespace FastGate.Core.Transport.Epoll;

/// <summary>A file descriptor's owner in a loop's epoll set; told its readiness on the loop thread.</summary>
internal interface IEpollHandler
{
    void OnEvents(uint events);
}
