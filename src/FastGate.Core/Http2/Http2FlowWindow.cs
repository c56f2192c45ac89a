namespace FastGate.Core.Http2;

/// <summary>
/// A flow-control window (RFC 9113 §5.2, §6.9): what may still be sent (or received) before the
/// other side grants more. It may go negative when SETTINGS_INITIAL_WINDOW_SIZE shrinks.
/// </summary>
public struct Http2FlowWindow
{
    public Http2FlowWindow(int size) => Available = size;

    public int Available { get; private set; }

    /// <summary>Takes <paramref name="bytes"/>; false (nothing taken) when the window is smaller.</summary>
    public bool TryConsume(int bytes) => throw new NotImplementedException();

    /// <summary>Grants <paramref name="increment"/>; FLOW_CONTROL_ERROR when the window would pass 2^31-1.</summary>
    public Http2ErrorCode Grow(int increment) => throw new NotImplementedException();

    /// <summary>Moves the window by the change of SETTINGS_INITIAL_WINDOW_SIZE; FLOW_CONTROL_ERROR past 2^31-1.</summary>
    public Http2ErrorCode Adjust(int delta) => throw new NotImplementedException();
}
