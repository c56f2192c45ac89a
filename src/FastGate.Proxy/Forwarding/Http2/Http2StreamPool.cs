using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Streams of the connections that ended on an event loop, for the next connections of that loop:
/// a stream object with everything it owns (its bridge and pipes, its exchange worker and that
/// worker's loop, its response pump, its head buffers) is some 5 KB, made once per loop rather than
/// once per stream slot of every connection. A connection keeps its own free streams while it
/// lives (<see cref="Http2Connection"/>); this pool takes the ones it leaves when it ends, and the
/// ones whose last owner let go after it began to close. Used on the loop thread only (a stream's
/// bridge resumes on its loop, so a stream stays on the loop it was made for), so no lock.
/// </summary>
internal static class Http2StreamPool
{
    // Enough for the streams of a burst of new connections (64 connections of one stream, or 8 of
    // 32), few enough that the loop holds about 1 MB of them at most.
    private const int MaxPooled = 256;

    /// <summary>A stream made for <paramref name="loop"/> whose owners are all done, when the caller runs on that loop and one is kept.</summary>
    public static Http2Stream? TryRent(EventLoop loop) =>
        EventLoop.Current == loop ? LoopLocalStack<Http2Stream>.TryPop() : null;

    /// <summary>A stream whose owners are all done and whose connection keeps it no more: kept when the caller runs on the stream's loop.</summary>
    public static void Return(Http2Stream stream, EventLoop? loop)
    {
        if (loop is not null && EventLoop.Current == loop)
        {
            LoopLocalStack<Http2Stream>.TryPush(stream, MaxPooled);
        }
    }
}
