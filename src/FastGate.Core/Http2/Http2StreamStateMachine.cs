namespace FastGate.Core.Http2;

/// <summary>
/// The stream state transitions of RFC 9113 §5.1 and the error for a frame that a state does not allow.
/// The connection keeps one <see cref="Http2StreamState"/> per stream and calls these for every frame
/// received on or sent for it.
/// </summary>
/// <remarks>
/// <code>
///                          +--------+
///                  send PP |        | recv PP
///                 ,--------+  idle  +--------.
///                /         |        |         \
///               v          +--------+          v
///        +----------+          |           +----------+
///        |          |          | send H /  |          |
/// ,------+ reserved |          | recv H    | reserved +------.
/// |      | (local)  |          |           | (remote) |      |
/// |      +---+------+          v           +------+---+      |
/// |          |             +--------+             |          |
/// |          |     recv ES |        | send ES     |          |
/// |   send H |     ,-------+  open  +-------.     | recv H   |
/// |          |    /        |        |        \    |          |
/// |          v   v         +---+----+         v   v          |
/// |      +----------+          |           +----------+      |
/// |      |   half-  |          |           |   half-  |      |
/// |      |  closed  |          | send R /  |  closed  |      |
/// |      | (remote) |          | recv R    | (local)  |      |
/// |      +----+-----+          |           +-----+----+      |
/// |           |                |                 |           |
/// |           | send ES /      |       recv ES / |           |
/// |           |  send R /      v        send R / |           |
/// |           |  recv R    +--------+   recv R   |           |
/// | send R /  `-----------&gt;|        |&lt;-----------'  send R / |
/// | recv R                 | closed |               recv R   |
/// `-----------------------&gt;|        |&lt;-----------------------'
///                          +--------+
/// </code>
/// CONTINUATION belongs to the HEADERS or PUSH_PROMISE before it (END_STREAM takes effect on that frame), so it
/// is never judged here: the connection checks that it follows an unfinished field block on the same stream
/// (§6.10, PROTOCOL_ERROR). PUSH_PROMISE moves the promised stream, not the one it arrives on; the connection
/// does that (and a server refuses PUSH_PROMISE outright). Frame types this side does not know are ignored in
/// every state (§5.5).
/// </remarks>
public static class Http2StreamStateMachine
{
    /// <summary>
    /// Judges a frame received on a stream in <paramref name="state"/> and, when it is allowed, moves the state.
    /// Returns NoError (the frame is processed; with a closed state it may need to be ignored, see remarks) or the
    /// error with <paramref name="streamError"/> saying whether only the stream is reset.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>idle: only HEADERS (opens the stream) and PRIORITY; anything else is a connection PROTOCOL_ERROR.</item>
    /// <item>reserved (local): RST_STREAM, PRIORITY, WINDOW_UPDATE; reserved (remote): HEADERS, RST_STREAM, PRIORITY;
    /// anything else a connection PROTOCOL_ERROR.</item>
    /// <item>half-closed (remote): only WINDOW_UPDATE, PRIORITY, RST_STREAM; anything else a stream STREAM_CLOSED.</item>
    /// <item>closed after END_STREAM both ways: DATA, HEADERS or PUSH_PROMISE is a connection STREAM_CLOSED; WINDOW_UPDATE
    /// and RST_STREAM may still cross our END_STREAM and are ignored, as is PRIORITY.</item>
    /// <item>closed by the peer's RST_STREAM: anything but PRIORITY is a stream STREAM_CLOSED, except another RST_STREAM,
    /// which is ignored (§5.4.2: never answer RST_STREAM with RST_STREAM).</item>
    /// <item>closed by our RST_STREAM: everything is ignored (§5.1: the peer may have sent it before seeing the reset);
    /// the caller still counts DATA against the connection window and decodes field blocks to keep HPACK in step,
    /// and bounds how long it remembers such streams.</item>
    /// </list>
    /// </remarks>
    public static Http2ErrorCode OnReceive(ref Http2StreamState state, Http2FrameType type, Http2Flags flags, out bool streamError)
    {
        streamError = false;
        bool endStream = (flags & Http2Flags.EndStream) != 0 && type is Http2FrameType.Data or Http2FrameType.Headers;
        if (type > Http2FrameType.Continuation || type is Http2FrameType.Priority or Http2FrameType.Continuation
            or Http2FrameType.Settings or Http2FrameType.Ping or Http2FrameType.GoAway)
        {
            // Unknown types, PRIORITY (any state, §5.3.2), CONTINUATION (see remarks); the connection-level types
            // never name a stream (the payload parsers refuse them off stream 0).
            return Http2ErrorCode.NoError;
        }

        switch (state)
        {
            case Http2StreamState.Idle:
                if (type != Http2FrameType.Headers)
                {
                    return Http2ErrorCode.ProtocolError;
                }

                state = endStream ? Http2StreamState.HalfClosedRemote : Http2StreamState.Open;
                return Http2ErrorCode.NoError;

            case Http2StreamState.ReservedLocal:
                switch (type)
                {
                    case Http2FrameType.RstStream:
                        state = Http2StreamState.ClosedByPeerReset;
                        return Http2ErrorCode.NoError;
                    case Http2FrameType.WindowUpdate:
                        return Http2ErrorCode.NoError;
                    default:
                        return Http2ErrorCode.ProtocolError;
                }

            case Http2StreamState.ReservedRemote:
                switch (type)
                {
                    case Http2FrameType.Headers:
                        state = endStream ? Http2StreamState.Closed : Http2StreamState.HalfClosedLocal;
                        return Http2ErrorCode.NoError;
                    case Http2FrameType.RstStream:
                        state = Http2StreamState.ClosedByPeerReset;
                        return Http2ErrorCode.NoError;
                    default:
                        return Http2ErrorCode.ProtocolError;
                }

            case Http2StreamState.Open:
                if (type == Http2FrameType.RstStream)
                {
                    state = Http2StreamState.ClosedByPeerReset;
                }
                else if (endStream)
                {
                    state = Http2StreamState.HalfClosedRemote;
                }

                return Http2ErrorCode.NoError;

            case Http2StreamState.HalfClosedLocal:
                if (type == Http2FrameType.RstStream)
                {
                    state = Http2StreamState.ClosedByPeerReset;
                }
                else if (endStream)
                {
                    state = Http2StreamState.Closed;
                }

                return Http2ErrorCode.NoError;

            case Http2StreamState.HalfClosedRemote:
                switch (type)
                {
                    case Http2FrameType.RstStream:
                        state = Http2StreamState.ClosedByPeerReset;
                        return Http2ErrorCode.NoError;
                    case Http2FrameType.WindowUpdate:
                        return Http2ErrorCode.NoError;
                    default:
                        streamError = true;
                        return Http2ErrorCode.StreamClosed;
                }

            case Http2StreamState.Closed:
                return type is Http2FrameType.WindowUpdate or Http2FrameType.RstStream ? Http2ErrorCode.NoError : Http2ErrorCode.StreamClosed;

            case Http2StreamState.ClosedByPeerReset:
                if (type == Http2FrameType.RstStream)
                {
                    return Http2ErrorCode.NoError;
                }

                streamError = true;
                return Http2ErrorCode.StreamClosed;

            default:
                return Http2ErrorCode.NoError;
        }
    }

    /// <summary>
    /// Moves the state for a frame this side sends on the stream; false (state unchanged) when §5.1 does not allow
    /// sending that frame in this state, which is a bug in the caller.
    /// </summary>
    /// <remarks>
    /// RST_STREAM may be sent in any state but idle and closed ones. PRIORITY may be sent in any state. On a closed
    /// stream nothing else may be sent (§5.1: "MUST NOT send frames other than PRIORITY on a closed stream").
    /// </remarks>
    public static bool OnSend(ref Http2StreamState state, Http2FrameType type, Http2Flags flags)
    {
        bool endStream = (flags & Http2Flags.EndStream) != 0 && type is Http2FrameType.Data or Http2FrameType.Headers;
        if (type == Http2FrameType.Priority || type > Http2FrameType.Continuation)
        {
            return true;
        }

        if (type == Http2FrameType.RstStream)
        {
            if (state is Http2StreamState.Idle or Http2StreamState.Closed or Http2StreamState.ClosedByPeerReset or Http2StreamState.ClosedByLocalReset)
            {
                return false;
            }

            state = Http2StreamState.ClosedByLocalReset;
            return true;
        }

        switch (state)
        {
            case Http2StreamState.Idle:
                if (type != Http2FrameType.Headers)
                {
                    return false;
                }

                state = endStream ? Http2StreamState.HalfClosedLocal : Http2StreamState.Open;
                return true;

            case Http2StreamState.ReservedLocal:
                if (type != Http2FrameType.Headers)
                {
                    return false;
                }

                state = endStream ? Http2StreamState.Closed : Http2StreamState.HalfClosedRemote;
                return true;

            case Http2StreamState.ReservedRemote:
            case Http2StreamState.HalfClosedLocal:
                return type == Http2FrameType.WindowUpdate;

            case Http2StreamState.Open:
                if (endStream)
                {
                    state = Http2StreamState.HalfClosedLocal;
                }

                return true;

            case Http2StreamState.HalfClosedRemote:
                if (endStream)
                {
                    state = Http2StreamState.Closed;
                }

                return true;

            default:
                return false;
        }
    }

    /// <summary>Open and half-closed streams count toward SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2); reserved and closed ones do not.</summary>
    public static bool CountsTowardConcurrency(Http2StreamState state)
        => state is Http2StreamState.Open or Http2StreamState.HalfClosedLocal or Http2StreamState.HalfClosedRemote;
}
