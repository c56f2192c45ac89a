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

    /// <summary>A builder as new: a pooled one when the caller runs on a loop.</summary>
    public static Http2RequestBuilder Rent(bool connectProtocolEnabled)
    {
        var builder = LoopLocalStack<Http2RequestBuilder>.TryPop() ?? new Http2RequestBuilder();
        builder.ConnectProtocolEnabled = connectProtocolEnabled;
        return builder;
    }

    /// <summary>The connection's read loop ended (no block is decoded into it any more): kept, when the caller runs on a loop.</summary>
    public static void Return(Http2RequestBuilder builder)
    {
        if (LoopLocalStack<Http2RequestBuilder>.TryPush(builder, MaxPooled))
        {
            builder.TrimForPool();
        }
    }
}
