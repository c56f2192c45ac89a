using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Request builders of the connections that ended on an event loop, for the next ones of that
/// loop, as <see cref="Http2HPackPool"/> keeps their HPACK coders: a builder's buffers (the fields,
/// the cookies, the pseudo-header bytes and the field ranges) are made once per loop rather than
/// once per connection. Used on a loop thread only, so one pool per loop needs no lock.
/// </summary>
internal static class Http2RequestBuilderPool
{
    // As many as the HPACK pool keeps: the builders of a burst of new connections.
    private const int MaxPooled = 64;

    [ThreadStatic]
    private static Stack<Http2RequestBuilder>? t_builders;

    /// <summary>A builder as new: a pooled one when the caller runs on a loop.</summary>
    public static Http2RequestBuilder Rent(bool connectProtocolEnabled)
    {
        var builder = EventLoop.Current is not null && t_builders is { Count: > 0 } builders ? builders.Pop() : new Http2RequestBuilder();
        builder.ConnectProtocolEnabled = connectProtocolEnabled;
        return builder;
    }

    /// <summary>The connection's read loop ended (no block is decoded into it any more): kept, when the caller runs on a loop.</summary>
    public static void Return(Http2RequestBuilder builder)
    {
        if (EventLoop.Current is null)
        {
            return;
        }
        var builders = t_builders ??= new Stack<Http2RequestBuilder>();
        if (builders.Count < MaxPooled)
        {
            builder.TrimForPool();
            builders.Push(builder);
        }
    }
}
