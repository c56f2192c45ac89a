namespace FastGate.Core.Http2;

/// <summary>
/// Decides when the receiving side sends WINDOW_UPDATE (RFC 9113 §6.9): bytes the receiver has handed on are
/// collected and granted back in one increment once they reach half the window, rather than one frame per
/// DATA frame. Half keeps a sender that waits for updates streaming (it always has half a window in flight) while
/// cutting the update frames to about two per window's worth of data (the rule Kestrel and nghttp2 use).
/// </summary>
/// <remarks>
/// A mutable struct: keep one per stream and one for the connection, in a field, owned by the connection's loop.
/// Use it beside the receive <see cref="Http2FlowWindow"/>: DATA received is taken from the window
/// (<see cref="Http2FlowWindow.TryConsume"/>, false = FLOW_CONTROL_ERROR); bytes handed on (and padding, which is
/// handed on at once) are given to <see cref="Release"/>; a non-zero result is sent as WINDOW_UPDATE and added
/// back with <see cref="Http2FlowWindow.Grow"/>. A stream whose peer has ended it needs no more updates.
/// </remarks>
public struct Http2WindowUpdateBatcher
{
    private readonly int _threshold;

    /// <param name="windowSize">The window this side announced (SETTINGS_INITIAL_WINDOW_SIZE for a stream, the connection window for stream 0).</param>
    public Http2WindowUpdateBatcher(int windowSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowSize);
        WindowSize = windowSize;
        _threshold = Math.Max(1, windowSize / 2);
    }

    public int WindowSize { get; }

    /// <summary>Bytes released but not yet granted back.</summary>
    public int Pending { get; private set; }

    /// <summary>Records <paramref name="bytes"/> handed on; returns the increment to send now, or 0 to wait for more.</summary>
    public int Release(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long pending = (long)Pending + bytes;
        if (pending < _threshold)
        {
            Pending = (int)pending;
            return 0;
        }

        // Never more than 2^31-1 in one frame; the rest waits for the next release.
        int increment = (int)Math.Min(pending, Http2PeerSettings.MaxWindowSize);
        Pending = (int)(pending - increment);
        return increment;
    }

    /// <summary>Whatever is pending, now (0 when nothing is); for a receiver that is about to wait on an idle peer.</summary>
    public int Flush()
    {
        int increment = Pending;
        Pending = 0;
        return increment;
    }
}
