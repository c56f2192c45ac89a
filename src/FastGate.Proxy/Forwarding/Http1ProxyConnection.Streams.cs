using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Sse;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// Long-lived responses: a <c>text/event-stream</c> response, or any response of a route with
/// <c>streaming = true</c>. Nothing of a stream is buffered (each upstream read is flushed to the
/// client before the next read, on the plain and the stage path alike); its deadline is the
/// route's stream_idle_timeout between pieces, capped by max_stream_duration, instead of the
/// listener's idle_timeout. An SSE stream is ended at an event boundary when it can be (a timeout,
/// or a drain whose time is up), so an EventSource reconnects with the id of the last whole event.
/// The upstream's first byte has a deadline of its own (first_byte_timeout), separate from the
/// route's timeout for the whole head.
/// </summary>
public sealed partial class Http1ProxyConnection
{
    /// <summary>The response being copied is a stream (counted in fastgate_streams_open).</summary>
    private bool _streaming;
    private StreamKind _streamKind;
    /// <summary>Why the stream ended, when something other than its own end or a peer decided.</summary>
    private StreamEndReason _streamEnd;
    private long _streamIdleTicks;
    /// <summary>When max_stream_duration ends the stream (Stopwatch ticks); 0 for never.</summary>
    private long _streamEndsAt;
    /// <summary>Whether what the client got of an SSE stream on the plain path ends with a blank line.</summary>
    private SseBoundary _boundary;
    /// <summary>How the plain path of an SSE stream copies a chunked upstream body to a chunked client.</summary>
    private ChunkRelayMode _relayMode;
    /// <summary>The upstream's chunks, validated and forwarded as they are (<see cref="ChunkRelayMode.Pass"/>), or decoded (<see cref="ChunkRelayMode.Decode"/>).</summary>
    private Http1ChunkedRelay _relay;
    /// <summary>When the route's timeout for the whole response head passes, while first_byte_timeout is armed.</summary>
    private long _responseHeadDue;

    /// <summary>
    /// Arms the wait for the response head once the request is all sent: the route's timeout for
    /// the whole head, and first, when the route has it and it is shorter, first_byte_timeout
    /// (an upstream that took the request and says nothing is given up on sooner than one that
    /// is slowly sending its head).
    /// </summary>
    private void ArmResponseHead()
    {
        var head = ResponseHeadTimeoutTicks();
        var firstByte = _exchange.Route!.FirstByteTicks;
        // A body that streamed may have drawn the response's first bytes already: then only the head's timeout is left.
        if (firstByte > 0 && firstByte < head && !_leg.ResponseStarted)
        {
            _responseHeadDue = Stopwatch.GetTimestamp() + head;
            Arm(TimeoutKind.FirstByte, firstByte);
            return;
        }
        Arm(TimeoutKind.UpstreamResponse, head);
    }

    /// <summary>The upstream's first bytes came in time: the rest of the head has what is left of the route's timeout.</summary>
    private void OnFirstResponseBytes(in ReadOnlySequence<byte> buffer)
    {
        if (!buffer.IsEmpty && _deadline.Armed == TimeoutKind.FirstByte)
        {
            Arm(TimeoutKind.UpstreamResponse, Math.Max(0, _responseHeadDue - Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>Counts a first-byte timeout (fastgate_upstream_first_byte_timeouts_total); the 504 or retry is that of any response-head timeout.</summary>
    private void CountFirstByteTimeout(TimeoutKind fired)
    {
        if (fired == TimeoutKind.FirstByte)
        {
            _gateway.Metrics.Streams.FirstByteTimeout();
        }
    }

    /// <summary>
    /// The response head went to the client and a body follows: decides whether it is a stream
    /// and arms the body's deadline.
    /// </summary>
    private void BeginResponseBody(ResponseHead response)
    {
        var route = _exchange.Route!;
        var sse = IsEventStream(response);
        if (sse || route.Model.Streaming)
        {
            var now = Stopwatch.GetTimestamp();
            _streaming = true;
            _streamKind = sse ? StreamKind.Sse : StreamKind.Http;
            _streamEnd = StreamEndReason.None;
            var idle = route.Model.StreamIdleTimeout ?? _limits.IdleTimeout;
            _streamIdleTicks = (long)(idle.TotalSeconds * Stopwatch.Frequency);
            _streamEndsAt = route.MaxStreamTicks > 0 ? now + route.MaxStreamTicks : 0;
            _boundary = SseBoundary.Start;
            _relayMode = ChunkRelayMode.Off;
            if (sse && _chunkToClient && !_responseThroughStages && _leg.ResponseBody.Framing == Http1BodyFraming.Chunked)
            {
                // Chunked in, chunked out, nothing changed between: the upstream's chunks go as they are
                // (into an HTTP/2 stream's bridge too, whose chunk reader takes what the decoder accepted).
                _relayMode = ChunkRelayMode.Pass;
                _relay.Reset();
            }
            _gateway.Metrics.Streams.Opened(_streamKind);
        }
        ArmResponseBodyIdle();
    }

    /// <summary>
    /// The deadline for the next piece of the body: idle_timeout for a plain body; for a stream,
    /// stream_idle_timeout, or the end of max_stream_duration when that comes first. One arming
    /// covers both, and which one passed is told when it fires.
    /// </summary>
    private void ArmResponseBodyIdle()
    {
        if (!_streaming)
        {
            Arm(TimeoutKind.BodyIdle, _limits.IdleTimeout);
            return;
        }
        var ticks = _streamIdleTicks;
        if (_streamEndsAt != 0)
        {
            ticks = Math.Min(ticks, Math.Max(0, _streamEndsAt - Stopwatch.GetTimestamp()));
        }
        Arm(TimeoutKind.StreamIdle, ticks);
    }

    /// <summary>
    /// The plain path of an SSE stream: as <see cref="CopyResponse"/>, tracking whether the client's
    /// bytes end at an event boundary; once a drain asks streams to end, nothing past the next
    /// boundary is forwarded and the response ends there (<see cref="Http1CopyStatus.Complete"/>,
    /// with its upstream connection not reused). A chunked stream to a chunked client keeps the
    /// upstream's chunks (<see cref="CopyEventChunks"/>).
    /// </summary>
    private Http1CopyStatus CopyEventStream(in ReadOnlySequence<byte> input, bool inputEnded, out long consumed, out long written)
    {
        if (_relayMode != ChunkRelayMode.Off)
        {
            return CopyEventChunks(input, out consumed, out written);
        }
        var sink = new EventStreamSink(new Http1BodyWriter<PipeWriter>(_output, _chunkToClient), _boundary, _client.EndStreamsRequested);
        var status = _leg.ResponseBody.Read(input, inputEnded, ref sink, out consumed);
        return EndEventCopy(ref sink, status, out written);
    }

    /// <summary>After a decoded copy: the boundary kept, and a drain's cut ends the response with the last chunk.</summary>
    private Http1CopyStatus EndEventCopy(ref EventStreamSink sink, Http1CopyStatus status, out long written)
    {
        _boundary = sink.Boundary;
        if (sink.Cut)
        {
            sink.Writer.End();
            written = sink.Writer.Commit();
            EndedEarly(StreamEndReason.Drain);
            return Http1CopyStatus.Complete;
        }
        written = sink.Writer.Commit();
        return status;
    }

    /// <summary>
    /// The upstream's chunks pass to the client as they came, validated on the way, and only the
    /// chunk data is looked at for the event boundary: per read, one copy and one flush, whatever
    /// the number of events in it. A drain must be able to end the stream inside a chunk, which a
    /// chunk line already sent forbids: from the next chunk start on the chunks are decoded and
    /// framed again (<see cref="ChunkRelayMode.Decode"/>), as on the decoding path.
    /// </summary>
    private Http1CopyStatus CopyEventChunks(in ReadOnlySequence<byte> input, out long consumed, out long written)
    {
        var cut = _client.EndStreamsRequested;
        written = 0;
        consumed = 0;
        var rest = input;
        if (_relayMode == ChunkRelayMode.Pass)
        {
            var payload = new BoundarySink(_boundary);
            var status = _relay.Relay(input, _output, ref payload, untilChunkStart: cut, out consumed, out written);
            _boundary = payload.Boundary;
            if (!cut || status != Http1CopyStatus.NeedMoreData || !_relay.AtChunkStart)
            {
                return status;
            }
            _relayMode = ChunkRelayMode.Decode;
            rest = input.Slice(consumed);
        }
        var sink = new EventStreamSink(new Http1BodyWriter<PipeWriter>(_output, chunked: true), _boundary, cut);
        var decoded = _relay.Decode(rest, ref sink, out var used);
        consumed += used;
        decoded = EndEventCopy(ref sink, decoded, out var framed);
        written += framed;
        return decoded;
    }

    /// <summary>
    /// A drain's time is up: ends a stream in progress. An SSE stream at an event boundary ends
    /// cleanly now; one in the middle of an event reads on and ends at the next boundary (null
    /// here: go on as before); any other stream is closed. Null too when no drain asked.
    /// </summary>
    private IoOperation? EndStreamForDrain()
    {
        if (!_streaming || !_client.EndStreamsRequested)
        {
            return null;
        }
        if (AtEventBoundary())
        {
            return EndStreamCleanly(StreamEndReason.Drain);
        }
        if (_streamKind == StreamKind.Sse && !_responseThroughStages)
        {
            return null;
        }
        _streamEnd = StreamEndReason.Drain;
        return Abort();
    }

    /// <summary>stream_idle_timeout or max_stream_duration passed: ends the stream at an event boundary if it is at one, else closes.</summary>
    private IoOperation EndStreamOnTimeout()
    {
        var reason = TimedOutReason();
        if (AtEventBoundary())
        {
            return EndStreamCleanly(reason);
        }
        _streamEnd = reason;
        return Abort();
    }

    private StreamEndReason TimedOutReason() =>
        _streamEndsAt != 0 && Stopwatch.GetTimestamp() >= _streamEndsAt ? StreamEndReason.MaxDuration : StreamEndReason.IdleTimeout;

    /// <summary>
    /// The client has whole events only: on the plain path by the boundary tracked over its bytes,
    /// on the stage path because the event stages pass whole events (a partial one waits in the reader).
    /// </summary>
    private bool AtEventBoundary() => _streamKind == StreamKind.Sse
        && (_responseThroughStages ? _responseEvents : _boundary.AtBoundary && (_relayMode != ChunkRelayMode.Pass || _relay.AtChunkEnd));

    /// <summary>
    /// Ends the response to the client as if the upstream had ended it (chunked: the last chunk;
    /// close-delimited: the close that follows), then closes: the upstream's rest is not read, so
    /// neither connection is kept.
    /// </summary>
    private IoOperation EndStreamCleanly(StreamEndReason reason)
    {
        if (_relayMode == ChunkRelayMode.Pass)
        {
            // The upstream's last chunk, with the CRLF its last data may still owe.
            _exchange.BytesOut += _relay.WriteEnd(_output);
        }
        else
        {
            var writer = new Http1BodyWriter<PipeWriter>(_output, _chunkToClient);
            writer.End();
            _exchange.BytesOut += writer.Commit();
        }
        EndedEarly(reason);
        _responseComplete = true;
        _state = ExchangeState.FlushingResponse;
        return FlushWithDeadline(IoOperation.FlushClient);
    }

    private void EndedEarly(StreamEndReason reason)
    {
        _streamEnd = reason;
        _upstreamReusable = false;
        _closeClient = true;
    }

    /// <summary>The stream's exchange ends (any way): counted by why; called before its deadline is cleared.</summary>
    private void EndStream()
    {
        var reason = _streamEnd;
        if (reason == StreamEndReason.None)
        {
            if (_responseComplete)
            {
                reason = StreamEndReason.Complete;
            }
            else if (_deadline.Fired == TimeoutKind.StreamIdle)
            {
                // Fired while the client was not taking a flush.
                reason = TimedOutReason();
            }
            else
            {
                // Cut while waiting on the upstream: it went; while flushing: the client did.
                reason = _state == ExchangeState.ReadingResponseBody ? StreamEndReason.UpstreamGone : StreamEndReason.ClientGone;
            }
        }
        _gateway.Metrics.Streams.Ended(_streamKind, reason);
        _streaming = false;
        _relayMode = ChunkRelayMode.Off;
        _streamEnd = StreamEndReason.None;
    }

    /// <summary>
    /// The drain timeout expired (<see cref="Http1ClientConnection.EndStreams"/>, on the connection's
    /// loop or a pool thread): wakes a stream waiting on its upstream so it ends at its next event
    /// boundary. The flag it acts on is the client connection's, set before this runs, so a stream
    /// that begins later ends at its first boundary too.
    /// </summary>
    internal void EndStreams()
    {
        // A tunnel sends close 1001 to both sides at its next message boundary.
        _tunnel?.EndForDrain();
        if (!_streaming)
        {
            return;
        }
        try
        {
            _current?.Leg.Connection?.Input.CancelPendingRead();
        }
        catch (Exception)
        {
            // The exchange ended meanwhile: nothing to wake.
        }
    }

    /// <summary>
    /// Passes decoded SSE bytes to the client's writer, tracking the event boundary; with
    /// <see cref="_cutAtBoundary"/> it forwards up to the first boundary and drops the rest.
    /// </summary>
    private ref struct EventStreamSink : IHttp1BodySink
    {
        public Http1BodyWriter<PipeWriter> Writer;
        public SseBoundary Boundary;
        private readonly bool _cutAtBoundary;

        public EventStreamSink(Http1BodyWriter<PipeWriter> writer, SseBoundary boundary, bool cutAtBoundary)
        {
            Writer = writer;
            Boundary = boundary;
            _cutAtBoundary = cutAtBoundary;
        }

        /// <summary>The stream was ended at a boundary; nothing after it reached the writer.</summary>
        public bool Cut { get; private set; }

        public void Data(ReadOnlySpan<byte> data)
        {
            if (Cut)
            {
                return;
            }
            if (!_cutAtBoundary)
            {
                Writer.Data(data);
                Boundary.Advance(data);
                return;
            }
            if (Boundary.AtBoundary)
            {
                Cut = true;
                return;
            }
            var end = Boundary.AdvanceToBoundary(data);
            if (end < 0)
            {
                Writer.Data(data);
                return;
            }
            Writer.Data(data[..end]);
            Cut = true;
        }

        public void End()
        {
            if (!Cut)
            {
                Writer.End();
            }
        }

        public void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
        {
            if (!Cut)
            {
                Writer.Trailers(fieldLines, first);
            }
        }

        public void EndAfterTrailers()
        {
            if (!Cut)
            {
                Writer.EndAfterTrailers();
            }
        }
    }

    /// <summary>Follows the event boundary over the chunk data the relay forwards (the framing is not the stream's).</summary>
    private ref struct BoundarySink : IHttp1BodySink
    {
        public SseBoundary Boundary;

        public BoundarySink(SseBoundary boundary)
        {
            Boundary = boundary;
        }

        public void Data(ReadOnlySpan<byte> data) => Boundary.Advance(data);

        public readonly void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
        {
        }

        public readonly void End()
        {
        }

        public readonly void EndAfterTrailers()
        {
        }
    }
}
