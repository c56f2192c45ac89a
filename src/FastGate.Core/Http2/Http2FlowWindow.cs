namespace FastGate.Core.Http2;

/// <summary>
/// A flow-control window (RFC 9113 §5.2, §6.9): what may still be sent (or received) before the
/// other side grants more. It may go negative when SETTINGS_INITIAL_WINDOW_SIZE shrinks.
/// </summary>
/// <remarks>
/// A mutable struct: keep it in a field of the connection or stream and call it there, from the one loop
/// that owns the connection. A refused change leaves the window as it was.
/// </remarks>
public struct Http2FlowWindow
{
    public Http2FlowWindow(int size) => Available = size;

    public int Available { get; private set; }

    /// <summary>Takes <paramref name="bytes"/>; false (nothing taken) when the window is smaller.</summary>
    /// <remarks>On the receive side a false is the peer overrunning the window: FLOW_CONTROL_ERROR (§6.9.1).</remarks>
    public bool TryConsume(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > Available)
        {
            return false;
        }

        Available -= bytes;
        return true;
    }

    /// <summary>Grants <paramref name="increment"/>; FLOW_CONTROL_ERROR when the window would pass 2^31-1.</summary>
    /// <remarks>
    /// On stream 0 that is a connection error, on a stream a stream error (§6.9.1). The increment is what
    /// <see cref="Http2FrameReader.ParseWindowUpdate"/> accepted: 1 to 2^31-1.
    /// </remarks>
    public Http2ErrorCode Grow(int increment)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(increment);
        return Adjust(increment);
    }

    /// <summary>Moves the window by the change of SETTINGS_INITIAL_WINDOW_SIZE; FLOW_CONTROL_ERROR past 2^31-1.</summary>
    /// <remarks>
    /// §6.9.2: the change applies to every open stream's window and may leave it negative; the sender then
    /// waits for WINDOW_UPDATE frames until it is positive again. Going past 2^31-1 is a connection error.
    /// </remarks>
    public Http2ErrorCode Adjust(int delta)
    {
        long next = (long)Available + delta;
        if (next > Http2PeerSettings.MaxWindowSize || next < int.MinValue)
        {
            return Http2ErrorCode.FlowControlError;
        }

        Available = (int)next;
        return Http2ErrorCode.NoError;
    }
}
