using FastGate.Core.HPack;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// HPACK decoders and encoders of the connections that ended on an event loop, for the next ones
/// of that loop: the two dynamic tables (about 26 KB with the default 4,096-byte tables) are most of
/// what a new HTTP/2 connection would allocate, which under many short connections was the whole of
/// the allocation per request. Used on a loop thread only, so one pool per loop needs no lock.
/// </summary>
internal static class Http2HPackPool
{
    // A pooled pair holds about 26 KB for as long as the process runs: enough pairs for a burst of
    // new connections, few enough that the idle daemon keeps under 2 MB of them per loop.
    private const int MaxPooled = 64;

    /// <summary>A decoder as new for these settings: a pooled one when the caller runs on a loop and one matches.</summary>
    public static HPackDecoder RentDecoder(int headerTableSize, int maxHeaderListSize)
    {
        if (LoopLocalStack<HPackDecoder>.TryPop() is { } decoder
            && decoder.MaxTableSize == headerTableSize && decoder.MaxHeaderListSize == maxHeaderListSize)
        {
            return decoder;
        }
        // None kept, or one made for settings a reload changed (dropped).
        return new HPackDecoder(headerTableSize, maxHeaderListSize);
    }

    /// <summary>An encoder as new: a pooled one when the caller runs on a loop.</summary>
    public static HPackEncoder RentEncoder() => LoopLocalStack<HPackEncoder>.TryPop() ?? new HPackEncoder();

    /// <summary>
    /// The connection is done with both (its read loop ended and no stream can encode a head any
    /// more): made as new and kept, when the caller runs on a loop.
    /// </summary>
    public static void Return(HPackDecoder decoder, HPackEncoder encoder)
    {
        if (LoopLocalStack<HPackDecoder>.TryPush(decoder, MaxPooled))
        {
            decoder.Reset();
        }
        if (LoopLocalStack<HPackEncoder>.TryPush(encoder, MaxPooled))
        {
            encoder.Reset();
        }
    }
}
