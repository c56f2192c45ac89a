namespace FastGate.Core.Http2;

/// <summary>
/// The states of a stream (RFC 9113 §5.1), seen from this side. "closed" is split by how the stream got there,
/// because that decides what a late frame means (see <see cref="Http2StreamStateMachine.OnReceive"/>).
/// </summary>
public enum Http2StreamState : byte
{
    Idle,
    /// <summary>This side promised the stream with PUSH_PROMISE (FastGate never pushes).</summary>
    ReservedLocal,
    /// <summary>The peer promised the stream with PUSH_PROMISE (refused: FastGate disables push).</summary>
    ReservedRemote,
    Open,
    /// <summary>This side sent END_STREAM.</summary>
    HalfClosedLocal,
    /// <summary>The peer sent END_STREAM.</summary>
    HalfClosedRemote,
    /// <summary>Both sides sent END_STREAM; also what a connection assumes for a stream id it used and forgot.</summary>
    Closed,
    /// <summary>The peer sent RST_STREAM.</summary>
    ClosedByPeerReset,
    /// <summary>This side sent RST_STREAM; the peer may still send what it sent before seeing it.</summary>
    ClosedByLocalReset,
}
