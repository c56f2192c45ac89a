using FastGate.Core.Http2;
using static FastGate.Core.Http2.Http2StreamState;

namespace FastGate.Core.Tests.Http2;

/// <summary>The stream life cycle of RFC 9113 §5.1: every state against every frame type received, and the sending side.</summary>
public class Http2StreamStateMachineTests
{
    private const Http2FrameType Data = Http2FrameType.Data;
    private const Http2FrameType Headers = Http2FrameType.Headers;
    private const Http2FrameType Priority = Http2FrameType.Priority;
    private const Http2FrameType RstStream = Http2FrameType.RstStream;
    private const Http2FrameType PushPromise = Http2FrameType.PushPromise;
    private const Http2FrameType WindowUpdate = Http2FrameType.WindowUpdate;
    private const Http2FrameType Continuation = Http2FrameType.Continuation;
    private const Http2FrameType Unknown = (Http2FrameType)0xA0;

    private const Http2ErrorCode Ok = Http2ErrorCode.NoError;
    private const Http2ErrorCode Protocol = Http2ErrorCode.ProtocolError;
    private const Http2ErrorCode StreamClosed = Http2ErrorCode.StreamClosed;

    public static TheoryData<Http2StreamState, Http2FrameType, Http2Flags, Http2ErrorCode, bool, Http2StreamState> Received => new()
    {
        // idle: HEADERS opens, PRIORITY is fine, anything else is a connection PROTOCOL_ERROR.
        { Idle, Headers, Http2Flags.EndHeaders, Ok, false, Open },
        { Idle, Headers, Http2Flags.EndHeaders | Http2Flags.EndStream, Ok, false, HalfClosedRemote },
        { Idle, Priority, 0, Ok, false, Idle },
        { Idle, Data, 0, Protocol, false, Idle },
        { Idle, RstStream, 0, Protocol, false, Idle },
        { Idle, WindowUpdate, 0, Protocol, false, Idle },
        { Idle, PushPromise, 0, Protocol, false, Idle },
        { Idle, Unknown, 0, Ok, false, Idle },

        // reserved (local)
        { ReservedLocal, RstStream, 0, Ok, false, ClosedByPeerReset },
        { ReservedLocal, WindowUpdate, 0, Ok, false, ReservedLocal },
        { ReservedLocal, Priority, 0, Ok, false, ReservedLocal },
        { ReservedLocal, Headers, 0, Protocol, false, ReservedLocal },
        { ReservedLocal, Data, 0, Protocol, false, ReservedLocal },

        // reserved (remote)
        { ReservedRemote, Headers, Http2Flags.EndHeaders, Ok, false, HalfClosedLocal },
        { ReservedRemote, Headers, Http2Flags.EndStream, Ok, false, Closed },
        { ReservedRemote, RstStream, 0, Ok, false, ClosedByPeerReset },
        { ReservedRemote, Priority, 0, Ok, false, ReservedRemote },
        { ReservedRemote, Data, 0, Protocol, false, ReservedRemote },
        { ReservedRemote, WindowUpdate, 0, Protocol, false, ReservedRemote },

        // open: anything; END_STREAM half-closes, RST_STREAM closes.
        { Open, Data, 0, Ok, false, Open },
        { Open, Data, Http2Flags.EndStream, Ok, false, HalfClosedRemote },
        { Open, Headers, Http2Flags.EndStream | Http2Flags.EndHeaders, Ok, false, HalfClosedRemote },
        { Open, Headers, Http2Flags.EndHeaders, Ok, false, Open },
        { Open, WindowUpdate, Http2Flags.EndStream, Ok, false, Open }, // 0x1 means nothing on WINDOW_UPDATE
        { Open, Continuation, Http2Flags.EndHeaders, Ok, false, Open },
        { Open, RstStream, 0, Ok, false, ClosedByPeerReset },
        { Open, Priority, 0, Ok, false, Open },
        { Open, Unknown, (Http2Flags)0xFF, Ok, false, Open },

        // half-closed (local): the peer still sends.
        { HalfClosedLocal, Data, 0, Ok, false, HalfClosedLocal },
        { HalfClosedLocal, Data, Http2Flags.EndStream, Ok, false, Closed },
        { HalfClosedLocal, Headers, Http2Flags.EndStream, Ok, false, Closed },
        { HalfClosedLocal, RstStream, 0, Ok, false, ClosedByPeerReset },

        // half-closed (remote): only WINDOW_UPDATE, PRIORITY, RST_STREAM; else a stream STREAM_CLOSED.
        { HalfClosedRemote, WindowUpdate, 0, Ok, false, HalfClosedRemote },
        { HalfClosedRemote, Priority, 0, Ok, false, HalfClosedRemote },
        { HalfClosedRemote, RstStream, 0, Ok, false, ClosedByPeerReset },
        { HalfClosedRemote, Continuation, Http2Flags.EndHeaders, Ok, false, HalfClosedRemote }, // ends the HEADERS that half-closed it
        { HalfClosedRemote, Data, 0, StreamClosed, true, HalfClosedRemote },
        { HalfClosedRemote, Headers, Http2Flags.EndStream, StreamClosed, true, HalfClosedRemote },

        // closed after END_STREAM both ways
        { Closed, Data, 0, StreamClosed, false, Closed },
        { Closed, Headers, 0, StreamClosed, false, Closed },
        { Closed, PushPromise, 0, StreamClosed, false, Closed },
        { Closed, WindowUpdate, 0, Ok, false, Closed },
        { Closed, RstStream, 0, Ok, false, Closed },
        { Closed, Priority, 0, Ok, false, Closed },

        // closed by the peer's RST_STREAM
        { ClosedByPeerReset, Data, 0, StreamClosed, true, ClosedByPeerReset },
        { ClosedByPeerReset, Headers, 0, StreamClosed, true, ClosedByPeerReset },
        { ClosedByPeerReset, WindowUpdate, 0, StreamClosed, true, ClosedByPeerReset },
        { ClosedByPeerReset, RstStream, 0, Ok, false, ClosedByPeerReset },
        { ClosedByPeerReset, Priority, 0, Ok, false, ClosedByPeerReset },

        // closed by our RST_STREAM: frames in flight are ignored.
        { ClosedByLocalReset, Data, Http2Flags.EndStream, Ok, false, ClosedByLocalReset },
        { ClosedByLocalReset, Headers, 0, Ok, false, ClosedByLocalReset },
        { ClosedByLocalReset, WindowUpdate, 0, Ok, false, ClosedByLocalReset },
        { ClosedByLocalReset, RstStream, 0, Ok, false, ClosedByLocalReset },
    };

    [Theory]
    [MemberData(nameof(Received))]
    public void OnReceive_FrameInState_ErrorAndNextState(Http2StreamState from, Http2FrameType type, Http2Flags flags, Http2ErrorCode error, bool streamError, Http2StreamState to)
    {
        Http2StreamState state = from;

        Assert.Equal(error, Http2StreamStateMachine.OnReceive(ref state, type, flags, out bool isStreamError));
        Assert.Equal(streamError, isStreamError);
        Assert.Equal(to, state);
    }

    public static TheoryData<Http2StreamState, Http2FrameType, Http2Flags, bool, Http2StreamState> Sent => new()
    {
        { Idle, Headers, Http2Flags.EndHeaders, true, Open },
        { Idle, Headers, Http2Flags.EndStream, true, HalfClosedLocal },
        { Idle, Data, 0, false, Idle },
        { Idle, RstStream, 0, false, Idle },
        { ReservedLocal, Headers, 0, true, HalfClosedRemote },
        { ReservedLocal, Data, 0, false, ReservedLocal },
        { ReservedLocal, RstStream, 0, true, ClosedByLocalReset },
        { ReservedRemote, WindowUpdate, 0, true, ReservedRemote },
        { ReservedRemote, Headers, 0, false, ReservedRemote },
        { Open, Data, 0, true, Open },
        { Open, Data, Http2Flags.EndStream, true, HalfClosedLocal },
        { Open, Headers, Http2Flags.EndStream, true, HalfClosedLocal },
        { Open, RstStream, 0, true, ClosedByLocalReset },
        { HalfClosedRemote, Headers, 0, true, HalfClosedRemote },
        { HalfClosedRemote, Data, Http2Flags.EndStream, true, Closed },
        { HalfClosedRemote, RstStream, 0, true, ClosedByLocalReset },
        { HalfClosedLocal, Data, 0, false, HalfClosedLocal },
        { HalfClosedLocal, Headers, 0, false, HalfClosedLocal },
        { HalfClosedLocal, WindowUpdate, 0, true, HalfClosedLocal },
        { HalfClosedLocal, RstStream, 0, true, ClosedByLocalReset },
        { Closed, Data, 0, false, Closed },
        { Closed, WindowUpdate, 0, false, Closed },
        { Closed, RstStream, 0, false, Closed },
        { Closed, Priority, 0, true, Closed },
        { ClosedByPeerReset, RstStream, 0, false, ClosedByPeerReset },
        { ClosedByLocalReset, Data, 0, false, ClosedByLocalReset },
    };

    [Theory]
    [MemberData(nameof(Sent))]
    public void OnSend_FrameInState_AllowedAndNextState(Http2StreamState from, Http2FrameType type, Http2Flags flags, bool allowed, Http2StreamState to)
    {
        Http2StreamState state = from;

        Assert.Equal(allowed, Http2StreamStateMachine.OnSend(ref state, type, flags));
        Assert.Equal(to, state);
    }

    [Fact]
    public void Request_ResponseLifeCycle_EndsClosed()
    {
        // Server view: GET with END_STREAM, response HEADERS, DATA with END_STREAM.
        Http2StreamState state = Idle;

        Assert.Equal(Ok, Http2StreamStateMachine.OnReceive(ref state, Headers, Http2Flags.EndHeaders | Http2Flags.EndStream, out _));
        Assert.True(Http2StreamStateMachine.CountsTowardConcurrency(state));
        Assert.True(Http2StreamStateMachine.OnSend(ref state, Headers, Http2Flags.EndHeaders));
        Assert.True(Http2StreamStateMachine.OnSend(ref state, Data, Http2Flags.EndStream));

        Assert.Equal(Closed, state);
        Assert.False(Http2StreamStateMachine.CountsTowardConcurrency(state));
    }

    [Theory]
    [InlineData(Idle, false)]
    [InlineData(ReservedLocal, false)]
    [InlineData(ReservedRemote, false)]
    [InlineData(Open, true)]
    [InlineData(HalfClosedLocal, true)]
    [InlineData(HalfClosedRemote, true)]
    [InlineData(Closed, false)]
    [InlineData(ClosedByPeerReset, false)]
    [InlineData(ClosedByLocalReset, false)]
    public void CountsTowardConcurrency_OpenAndHalfClosedOnly(Http2StreamState state, bool expected)
    {
        Assert.Equal(expected, Http2StreamStateMachine.CountsTowardConcurrency(state));
    }
}
