namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// One socket of a <see cref="SpliceRelay"/> in the loop's epoll set: readable wakes the direction
/// that reads from it, writable the direction that writes to it.
/// </summary>
internal sealed class SpliceSocket(SpliceDirection reading, SpliceDirection writing) : IEpollHandler
{
    public void OnEvents(uint events)
    {
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            reading.Run();
        }
        // A direction that ended the relay above has been stopped and does nothing.
        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            writing.OnSinkWritable();
        }
    }
}
