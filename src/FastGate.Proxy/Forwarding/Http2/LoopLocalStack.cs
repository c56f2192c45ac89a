using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Objects the connections of an event loop left behind, for the loop's next connections: one
/// stack per loop thread (and per type), touched by that thread only, so it needs no lock. Off a
/// loop (the portable transport, a test) nothing is kept and nothing is handed out.
/// </summary>
internal static class LoopLocalStack<T> where T : class
{
    [ThreadStatic]
    private static Stack<T>? t_items;

    /// <summary>A kept object, when the caller runs on a loop and one is kept.</summary>
    public static T? TryPop() =>
        EventLoop.Current is not null && t_items is { Count: > 0 } items ? items.Pop() : null;

    /// <summary>Keeps <paramref name="item"/> when the caller runs on a loop and fewer than <paramref name="max"/> are kept.</summary>
    public static bool TryPush(T item, int max)
    {
        if (EventLoop.Current is null)
        {
            return false;
        }
        var items = t_items ??= new Stack<T>();
        if (items.Count >= max)
        {
            return false;
        }
        items.Push(item);
        return true;
    }
}
