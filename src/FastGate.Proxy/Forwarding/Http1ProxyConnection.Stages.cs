using System.Buffers;
using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Sse;
using FastGate.Proxy.Stages;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// Where the route's stage chain meets the HTTP/1.1 exchange: the request-head phase (which may
/// wait, on the connection loop's one await), a request body read whole for the stages that ask,
/// local answers with the stage's headers and body, and the response body passed through body
/// stages and framed again for the client. A route without stages never enters these paths.
/// </summary>
public sealed partial class Http1ProxyConnection
{
    /// <summary>Upstream attempts a response-head stage may ask for beyond the first.</summary>
    private const int MaxStageRetries = 8;

    private int _stageIndex;
    private ValueTask<StageOutcome> _pendingStage;
    private StageOutcome _stageOutcome;
    private Exception? _stageFault;
    /// <summary>The request body was read whole and is sent from the exchange, not streamed.</summary>
    private bool _bodyInHand;
    /// <summary>The response body passes through body stages on its way to the client.</summary>
    private bool _responseThroughStages;
    /// <summary>The response is an event stream the chain's event stages read event by event.</summary>
    private bool _responseEvents;
    private SseEventReader? _sseReader;
    private PooledByteBuffer? _decodedResponse;
    /// <summary>A response-body stage ended the exchange (not an upstream failure).</summary>
    private bool _stageTerminated;

    private IoOperation RunRequestHeadStages()
    {
        _stageIndex = 0;
        StageOutcome outcome;
        try
        {
            outcome = _exchange.Chain.RunRequestHead(_exchange, ref _stageIndex, out _pendingStage);
        }
        catch (Exception ex)
        {
            return StageFailed(ex);
        }
        return AfterRequestHeadStep(outcome);
    }

    private IoOperation AfterRequestHeadStep(StageOutcome outcome)
    {
        if (_pendingStage != default)
        {
            _state = ExchangeState.AwaitingStage;
            return IoOperation.AwaitStage;
        }
        return AfterRequestHead();
    }

    /// <summary>A request-head stage that had to wait finished (or threw): the chain goes on from the next one.</summary>
    private IoOperation OnStageAwaited()
    {
        _pendingStage = default;
        if (_stageFault is { } fault)
        {
            _stageFault = null;
            return StageFailed(fault);
        }
        StageOutcome outcome;
        try
        {
            outcome = _exchange.Chain.ResumeRequestHead(_exchange, _stageOutcome, ref _stageIndex, out _pendingStage);
        }
        catch (Exception ex)
        {
            return StageFailed(ex);
        }
        return AfterRequestHeadStep(outcome);
    }

    /// <summary>A stage threw: its exchange answers 500 (or is cut short once a response is under way); nothing else is affected.</summary>
    private IoOperation StageFailed(Exception ex)
    {
        var route = _exchange.Route?.Model.Name ?? "(none)";
        _gateway.Log.Error($"a stage of route '{route}' failed: {ex.GetType().Name}: {ex.Message}");
        return _responseHeadSeen && _exchange.Status != 0 ? Abort() : AnswerLocal(500, _closeOnLocal);
    }

    private IoOperation AnswerFromStage() => AnswerLocal(_exchange.LocalStatus, _closeOnLocal);

    private IoOperation BeginBufferingRequestBody()
    {
        var request = _request;
        var limit = Math.Min(_exchange.Chain.RequestBodyLimit, _exchange.Route!.MaxBodyBytes);
        if (request.ContentLength > limit)
        {
            return AnswerLocal(413, close: true);
        }
        _requestBody.Start(request.IsChunked ? Http1BodyFraming.Chunked : Http1BodyFraming.ContentLength, request.ContentLength, encodeChunked: false, limit);
        _requestBodyRate.Stop();
        return request.ExpectContinue ? SendContinue() : ReadBufferedBody();
    }

    private IoOperation ReadBufferedBody()
    {
        if (!_requestBodyRate.Running)
        {
            BeginRequestBodyRate();
        }
        else
        {
            ArmRequestBodyRead();
        }
        _state = ExchangeState.BufferingRequestBody;
        return IoOperation.ReadClient;
    }

    private IoOperation OnBufferedBodyBytes()
    {
        if (_fault is not null)
        {
            return Abort();
        }
        var result = _read;
        var buffer = result.Buffer;
        if (result.IsCanceled)
        {
            _input.AdvanceTo(buffer.Start);
            if (_deadline.Fired != TimeoutKind.None)
            {
                OnRequestBodyDeadline();
                return AnswerLocal(408, close: true);
            }
            return IoOperation.ReadClient;
        }
        var status = _requestBody.Copy(buffer, result.IsCompleted, _exchange.RequestBodyBuffer, out var consumed, out _);
        var bodyEnd = buffer.GetPosition(consumed);
        // Past a complete body the bytes are a pipelined request, not yet looked at.
        _input.AdvanceTo(bodyEnd, status == Http1CopyStatus.Complete ? bodyEnd : buffer.End);
        _exchange.BytesIn += consumed;
        switch (status)
        {
            case Http1CopyStatus.InvalidFraming:
                return AnswerLocal(400, close: true);
            case Http1CopyStatus.TooLarge:
                return AnswerLocal(413, close: true);
            case Http1CopyStatus.NeedMoreData:
                return result.IsCompleted ? Abort() : RequestBodyKeepsRate(consumed) ? ReadBufferedBody() : AnswerLocal(408, close: true);
        }
        Disarm();
        // The body is off the client's connection and in hand: from here the exchange is like a
        // bodiless one (the connection may be kept after a local answer, a retry may resend it).
        _hasBody = false;
        _bodyInHand = true;
        _closeOnLocal = !_request.KeepAlive;
        bool go;
        try
        {
            go = _exchange.Chain.RunRequestBody(_exchange);
        }
        catch (Exception ex)
        {
            return StageFailed(ex);
        }
        if (_exchange.IsAnswered)
        {
            return AnswerFromStage();
        }
        return go ? PickUpstream() : AnswerLocal(500, _closeOnLocal);
    }

    /// <summary>
    /// Runs the response-head phase on the upstream's final head. Returns null to go on with the
    /// response, or the next I/O when a stage answered or asked for another attempt.
    /// </summary>
    private IoOperation? RunResponseHeadStages()
    {
        StageOutcome outcome;
        try
        {
            outcome = _exchange.Chain.RunResponseHead(_exchange);
        }
        catch (Exception ex)
        {
            return StageFailed(ex);
        }
        switch (outcome)
        {
            case StageOutcome.Answered:
                // The upstream's body is left unread: its connection is dropped with the answer.
                return AnswerLocal(_exchange.LocalStatus, _closeOnLocal || !RequestBodyDone);
            case StageOutcome.Retry when !_hasBody && _exchange.Attempt < MaxStageRetries:
                // Nothing reached the client yet and the request is whole in hand: send it again,
                // to whatever cluster the stage chose.
                EndTry();
                _leg.EndRetry();
                return PickUpstream();
            default:
                return null;
        }
    }

    /// <summary>
    /// Decodes what <paramref name="input"/> holds of the response body, passes it through the
    /// body stages and writes what they let through to the client, framed for it.
    /// </summary>
    private Http1CopyStatus CopyResponseThroughStages(in System.Buffers.ReadOnlySequence<byte> input, bool inputEnded, out long consumed, out long written)
    {
        var decoded = _decodedResponse ??= new PooledByteBuffer();
        decoded.Clear();
        var decoder = new StageBodySink(decoded, _stageTrailers ??= new PooledByteBuffer());
        var status = _leg.ResponseBody.Read(input, inputEnded, ref decoder, out consumed);
        written = 0;
        var end = status == Http1CopyStatus.Complete;
        if (status != Http1CopyStatus.Complete && status != Http1CopyStatus.NeedMoreData)
        {
            return status;
        }
        var chain = _exchange.Chain;
        var output = decoded.WrittenSpan;
        if (chain.HasResponseBody && !chain.RunResponseBody(_exchange, output, end, out output))
        {
            return Terminated();
        }
        if (_draining)
        {
            // The client left: the stages see the rest of the body, nobody gets their output.
            var discard = new Http1BodyWriter<PooledByteBuffer>(DrainSink(), chunked: false);
            if (_responseEvents && !PassEvents(chain, output, decoded, end, ref discard))
            {
                return Terminated();
            }
            if (end && chain.HasResponseEnd)
            {
                WriteResponseEnd(ref discard);
            }
            return status;
        }
        if (_headPending)
        {
            if (!end && output.IsEmpty)
            {
                // Still held: the stage has let nothing through yet.
                return status;
            }
            WritePendingHead();
        }
        var writer = new Http1BodyWriter<PipeWriter>(_output, _chunkToClient);
        if (_responseEvents)
        {
            if (!PassEvents(chain, output, decoded, end, ref writer))
            {
                writer.Commit();
                return Terminated();
            }
        }
        else
        {
            writer.Data(output);
        }
        if (end)
        {
            if (chain.HasResponseEnd && !WriteResponseEnd(ref writer))
            {
                writer.Commit();
                return Terminated();
            }
            EndWithTrailers(ref writer, decoder.EndedWithTrailers);
        }
        written = writer.Commit();
        return status;
    }

    /// <summary>A stage ended the response: the client's copy stops here, cut short like a failed body.</summary>
    private Http1CopyStatus Terminated()
    {
        _stageTerminated = true;
        return Http1CopyStatus.InvalidFraming;
    }

    /// <summary>
    /// Cuts the stream into whole events and passes each through the event stages to the client.
    /// At the end of the body an unfinished last event goes out as it is. An event larger than
    /// the reader's bound ends the response: passing it unread would skip the stages.
    /// Events the stages let through unchanged lie back to back in the reader's buffer, so a run
    /// of them goes out as one chunk: one chunk per read rather than per event (the chunk-size
    /// line and a copy call per event were a measured share of the AI stream's cost, as was the
    /// copy of each read from the decoded body into the reader, now avoided). A route's one event
    /// stage is offered the read's whole events as raw bytes, first and again after the first event
    /// read one by one (a read that began inside an event), and a run it takes is neither parsed nor
    /// passed to it event by event; it gets each run back at the end of the read.
    /// </summary>
    private bool PassEvents<TWriter>(StageChain chain, ReadOnlySpan<byte> bytes, PooledByteBuffer decoded, bool end, ref Http1BodyWriter<TWriter> writer)
        where TWriter : IBufferWriter<byte>
    {
        var reader = _sseReader ??= new SseEventReader();
        if (bytes == decoded.WrittenSpan)
        {
            // The body stages let the decoded bytes through: the reader takes them without a copy
            // when no unfinished event waits in it (bytes is not to be read after this).
            reader.Append(decoded);
        }
        else
        {
            reader.Append(bytes);
        }
        var runFrom = reader.Position;
        var takenFrom = runFrom;
        var taken = TakeWholeEvents(chain, reader);
        var runTo = reader.Position;
        // A read that starts inside an event has its whole events offered once that event is read.
        var offeredAfterFirst = false;
        var laterFrom = 0;
        var laterTaken = 0;
        try
        {
            while (reader.TryRead(out var sseEvent))
            {
                if (!chain.RunResponseEvent(_exchange, sseEvent, out var output))
                {
                    writer.Data(reader.Blocks(runFrom, runTo));
                    return false;
                }
                if (output == sseEvent.Raw)
                {
                    runTo = reader.Position;
                }
                else
                {
                    writer.Data(reader.Blocks(runFrom, runTo));
                    writer.Data(output);
                    runFrom = runTo = reader.Position;
                }
                if (!offeredAfterFirst)
                {
                    offeredAfterFirst = true;
                    laterFrom = reader.Position;
                    laterTaken = TakeWholeEvents(chain, reader);
                    runTo = reader.Position;
                }
            }
            writer.Data(reader.Blocks(runFrom, runTo));
            if (reader.TooLarge)
            {
                _gateway.Log.Warn($"route '{_exchange.Route?.Model.Name}': an event of the response stream is over the event size limit; the response was cut");
                return false;
            }
            if (end && !chain.HasResponseEnd)
            {
                // A stage that watches the end speaks for it (an error event): the unfinished event,
                // which an SSE client discards anyway (HTML Living Standard, 9.2.6), is dropped then.
                writer.Data(reader.Pending);
            }
            return true;
        }
        finally
        {
            // The runs taken lie in the reader's buffer until the next read: the stage sees them
            // again now that it has seen what followed them (however the read ended).
            chain.RunResponseEventsTaken(_exchange, reader.Blocks(takenFrom, takenFrom + taken));
            chain.RunResponseEventsTaken(_exchange, reader.Blocks(laterFrom, laterFrom + laterTaken));
        }
    }

    /// <summary>
    /// Offers the whole events buffered in <paramref name="reader"/> to a stage that only watches
    /// the stream; the run it takes from their raw bytes is neither parsed nor passed event by event.
    /// Returns that run's length (it starts at the reader's position before the call).
    /// </summary>
    private int TakeWholeEvents(StageChain chain, SseEventReader reader)
    {
        if (reader.WholeBlocks() is { IsEmpty: false } whole)
        {
            var taken = chain.RunResponseEventsWhole(_exchange, whole);
            reader.Skip(taken);
            return Math.Max(taken, 0);
        }
        return 0;
    }

    /// <summary>True for a <c>text/event-stream</c> response (media type parameters aside).</summary>
    private static bool IsEventStream(ResponseHead response)
    {
        foreach (ref readonly var header in response.Headers)
        {
            // The length first: every response with a body is asked, and most of its fields are not this one.
            if (header.Known == KnownHeader.Other && header.NameLength == "content-type".Length && System.Text.Ascii.EqualsIgnoreCase(response.Name(header), "content-type"u8))
            {
                var value = response.Value(header);
                var end = value.IndexOf((byte)';');
                var type = (end < 0 ? value : value[..end]).Trim(" \t"u8);
                return System.Text.Ascii.EqualsIgnoreCase(type, "text/event-stream"u8);
            }
        }
        return false;
    }

    /// <summary>
    /// Writes a local answer: the stage's status, fields and body, or the proxy's own text for
    /// <paramref name="status"/>, with the response-header edits of the route's stages. A HEAD
    /// request gets the head only; an HTTP/1.0 client is told whether the connection stays.
    /// </summary>
    private void WriteLocalAnswer(int status, bool close)
    {
        var exchange = _exchange;
        var fromStage = exchange.IsAnswered && exchange.LocalStatus == status;
        var body = fromStage ? exchange.LocalBody : default;
        var contentType = fromStage ? exchange.LocalContentType : default;
        if (body.IsEmpty && contentType.IsEmpty)
        {
            body = _circuitCap != Upstreams.CircuitCap.None ? CircuitAnswers.BodyUtf8 : Http1StatusResponses.DefaultBody(status);
            contentType = body.IsEmpty ? default : "text/plain"u8;
        }
        var bodiless = status < 200 || status is 204 or 304;
        var w = new BufferWriter<PipeWriter>(_output);
        Http1StatusResponses.WriteStatusLine(ref w, status);
        if (fromStage)
        {
            exchange.LocalHeaders.WriteFields(ref w);
        }
        if (_circuitCap != Upstreams.CircuitCap.None)
        {
            w.Write(CircuitAnswers.Field(_circuitCap));
        }
        exchange.ResponseEdits?.WriteFields(ref w);
        if (!bodiless)
        {
            if (!contentType.IsEmpty)
            {
                w.Write("Content-Type: "u8);
                w.Write(contentType);
                w.Write("\r\n"u8);
            }
            w.Write("Content-Length: "u8);
            w.WriteDecimal(body.Length);
            w.Write("\r\n"u8);
        }
        EndHead(ref w, close);
        if (!bodiless && _request.Method != RequestMethod.Head)
        {
            w.Write(body);
        }
        exchange.BytesOut += w.Buffered;
        w.Commit();
    }
}
