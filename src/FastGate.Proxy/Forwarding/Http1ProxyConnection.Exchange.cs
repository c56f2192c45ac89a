using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Forwarding;

/// <summary>The exchange state machine: one method per state, each returning the next I/O.</summary>
public sealed partial class Http1ProxyConnection
{
    /// <summary>How long a lingering close waits for the client to finish sending (nginx: lingering_timeout 5s).</summary>
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(5);

    private ExchangeState _state;
    private bool _hasBody;
    private bool _closeOnLocal;
    private bool _chunkToClient;
    private bool _closeClient;
    private bool _upstreamReusable;
    private bool _responseComplete;
    private bool _closeAfterLocal;
    /// <summary>The cap a circuit-breaking 503 of this exchange names; None for every other answer.</summary>
    private CircuitCap _circuitCap;

    /// <summary>
    /// Starts the exchange of a request head that arrived whole in the first read, found and parsed
    /// in one pass rather than scanned for its end and then parsed. False, with nothing consumed or
    /// held, for anything else (a partial, malformed or oversized head): the resumable scan decides.
    /// </summary>
    private bool TryStartWholeHeadExchange(in ReadOnlySequence<byte> buffer, out IoOperation next)
    {
        next = IoOperation.Close;
        if (!_headScan.IsFresh || !buffer.IsSingleSegment || buffer.IsEmpty)
        {
            return false;
        }
        var rented = _current is null;
        TakeExchange();
        var request = _request;
        request.Reset();
        var bytes = buffer.FirstSpan;
        if (!Http1Parser.TryParseRequestHead(bytes, request, _limits.MaxHeaderBytes, _limits.MaxRequestLineBytes, _limits.MaxHeaders, out var headLength))
        {
            // Between exchanges no exchange is held: a client that sends its head in pieces keeps none from the pool.
            if (rented)
            {
                ReturnExchange();
            }
            else
            {
                request.Reset();
            }
            return false;
        }
        var head = _current!.RequestHeadArray.Get(headLength);
        bytes[..headLength].CopyTo(head);
        request.Buffer = head;
        request.Length = headLength;
        _input.AdvanceTo(buffer.GetPosition(headLength));
        _betweenExchanges = false;
        Disarm();
        BeginExchange();
        next = StartParsedExchange(Http1Error.None);
        return true;
    }

    private IoOperation StartExchange()
    {
        BeginExchange();
        return StartParsedExchange(Http1Parser.ParseRequest(_request, _limits.MaxHeaders));
    }

    /// <summary>
    /// The exchange of a head already parsed, with what the parse found wrong (None when nothing):
    /// the HTTP/1.1 front's own, or an HTTP/2 stream's, filled from its decoded fields.
    /// </summary>
    private IoOperation StartParsedExchange(Http1Error error)
    {
        var request = _request;
        if (error != Http1Error.None)
        {
            return AnswerLocal(error.ToStatusCode(), close: true);
        }
        if (!NormalizePath())
        {
            return AnswerLocal(400, close: true);
        }
        _hasBody = request.IsChunked || request.ContentLength > 0;
        // A local answer that leaves a request body unread must close: the body's bytes would
        // otherwise be read as the next request.
        _closeOnLocal = _hasBody || !request.KeepAlive;

        var lookup = new Http1HeaderLookup(request);
        var routeIndex = _listenerIndex < 0
            ? -1
            : _snapshot.Routes.Match(_listenerIndex, request.Host, request.PathLength > 0 ? request.Path : "/"u8, request.MethodBytes, ref lookup);
        if (routeIndex < 0)
        {
            return AnswerLocal(404, _closeOnLocal);
        }
        var route = _snapshot.RouteRuntimes[routeIndex];
        _exchange.Routed(route);
        if (request.ContentLength > route.MaxBodyBytes)
        {
            return AnswerLocal(413, close: true);
        }
        if (request.IsUpgrade && OnUpgradeRequest(route) is { } refused)
        {
            return refused;
        }
        return route.Stages.HasRequestHead ? RunRequestHeadStages() : AfterRequestHead();
    }

    private void BeginExchange()
    {
        TakeExchange();
        _exchange.Begin(_snapshot, _request.Length);
        _exchange.ClientTrusted = _clientTrusted;
        _hasBody = false;
        _bodyInHand = false;
        _stageTerminated = false;
        _headPending = false;
        _closeOnLocal = true;
        _responseComplete = false;
        _circuitCap = CircuitCap.None;
    }

    /// <summary>The request head passed its stages: read a body they want whole, or go upstream.</summary>
    private IoOperation AfterRequestHead()
    {
        if (_exchange.IsAnswered)
        {
            return AnswerFromStage();
        }
        if (_hasBody && _exchange.Chain.BuffersRequestBody)
        {
            return BeginBufferingRequestBody();
        }
        return PickUpstream();
    }

    /// <summary>
    /// Picks an endpoint from the exchange's cluster (a stage may have chosen another) and reaches
    /// it. A retry passes the endpoint that failed as <paramref name="avoid"/>, and the status the
    /// failure would have answered as <paramref name="noEndpointStatus"/>: with nowhere else to go,
    /// the client gets the original error.
    /// </summary>
    private IoOperation PickUpstream(EndpointState? avoid = null, int noEndpointStatus = 503)
    {
        if (AnswerIfGrpcDeadlinePassed() is { } late)
        {
            return late;
        }
        switch (_leg.Pick(_exchange, _clientHash, avoid, out var stageFault))
        {
            case UpstreamPick.Rented:
                return SendRequestHead();
            case UpstreamPick.Connect:
                _state = ExchangeState.Connecting;
                return IoOperation.Connect;
            case UpstreamPick.Answered:
                return AnswerFromStage();
            case UpstreamPick.StageFailed:
                return StageFailed(stageFault!);
            case UpstreamPick.CircuitOpen:
                return AnswerCircuitOpen(_leg.Refused);
            default:
                // Nowhere to go in this cluster: a stage may know another.
                return (_exchange.Cluster is not null && _exchange.Endpoint is null ? RunUpstreamFailedStages(noEndpointStatus) : null)
                    ?? AnswerLocal(noEndpointStatus, _closeOnLocal);
        }
    }

    /// <summary>
    /// The cluster is over a cap: 503 at once, naming the cap in X-FastGate-Circuit, rather than
    /// queue behind an upstream that is already as busy as it was allowed to get (Envoy's circuit
    /// breakers answer the same way).
    /// </summary>
    private IoOperation AnswerCircuitOpen(CircuitCap cap)
    {
        _circuitCap = cap;
        return AnswerLocal(503, _closeOnLocal);
    }

    private IoOperation OnConnected()
    {
        _leg.EndConnect();
        if (_fault is not null)
        {
            // nginx's convention: a connect timeout is a gateway timeout, a refusal a bad gateway.
            return TryFailed(_fault is OperationCanceledException ? 504 : 502, ConnectFailure(_fault), RetryConditions.ConnectFailure);
        }
        _leg.Connected();
        return SendRequestHead();
    }

    private IoOperation SendRequestHead()
    {
        if (AnswerIfGrpcDeadlinePassed() is { } late)
        {
            return late;
        }
        _leg.WriteRequest(_exchange, _bodyInHand);
        if (!_hasBody)
        {
            _state = ExchangeState.FlushingRequest;
            return FlushWithDeadline(IoOperation.FlushUpstream);
        }
        // We take the body as soon as the exchange is routed and the upstream is reached, as
        // nginx does; the upstream gets the body without an Expect of its own.
        return _request.ExpectContinue ? SendContinue() : BeginRequestBody();
    }

    /// <summary>Tells the client to send the body it holds back for our 100 Continue.</summary>
    private IoOperation SendContinue()
    {
        _output.Write(Http1StatusResponses.Continue100);
        _state = ExchangeState.SendingContinue;
        return FlushWithDeadline(IoOperation.FlushClient);
    }

    private IoOperation OnContinueSent()
    {
        if (IsStaleCancel(_flush))
        {
            return IoOperation.FlushClient;
        }
        if (_fault is not null || _flush.IsCompleted || _flush.IsCanceled)
        {
            return Abort();
        }
        // A chain that reads the body whole takes it before going upstream; otherwise it streams.
        return _exchange.Chain.BuffersRequestBody ? ReadBufferedBody() : BeginRequestBody();
    }

    private IoOperation OnRequestFlushed()
    {
        if (_fault is not null || _flush.IsCompleted)
        {
            return CanRetry ? Retry() : TryFailed(502, UpstreamFailure.SendFailed, RetryConditions.Reset);
        }
        if (_flush.IsCanceled)
        {
            // The upstream stopped taking the request for idle_timeout.
            return IsStaleCancel(_flush) ? IoOperation.FlushUpstream : TryFailed(504, UpstreamFailure.SendTimeout, RetryConditions.Timeout);
        }
        _leg.RequestSent();
        ArmResponseHead();
        _state = ExchangeState.ReadingResponseHead;
        return IoOperation.ReadUpstream;
    }

    /// <summary>How long this try waits for the response head: the route's timeout, or the cluster's per-try timeout when shorter.</summary>
    private long ResponseHeadTimeoutTicks()
    {
        var ticks = _exchange.Route!.TimeoutTicks;
        if (_leg.Cluster?.Model.Retry.PerTryTimeout is { } perTry)
        {
            ticks = Math.Min(ticks, (long)(perTry.TotalSeconds * Stopwatch.Frequency));
        }
        return Math.Min(ticks, Math.Max(1, GrpcTimeoutTicks()));
    }

    /// <summary>
    /// A pooled connection the upstream closed just as we picked it (the keep-alive race). The
    /// upstream may still have acted on the request before closing, so only an idempotent method
    /// (RFC 9110 §9.2.2) without a body is sent again on a new connection; nginx never retries
    /// POST or PATCH by default either. The resend is free: it is not the endpoint's failure, and
    /// it takes neither a try nor the retry budget. A new connection cannot race that way, so it
    /// happens at most once per try.
    /// </summary>
    private bool CanRetry => _leg.Reused && !_hasBody && !_leg.ResponseStarted && IsIdempotent(_request.Method);

    private static bool IsIdempotent(RequestMethod method) =>
        method is RequestMethod.Get or RequestMethod.Head or RequestMethod.Options or RequestMethod.Trace
            or RequestMethod.Put or RequestMethod.Delete;

    /// <summary>The keep-alive race's resend, to the same endpoint on a new connection.</summary>
    private IoOperation Retry()
    {
        Disarm();
        DropUpstream();
        _exchange.Attempt++;
        var cap = _leg.StartConnect();
        if (cap != CircuitCap.None)
        {
            return AnswerCircuitOpen(cap);
        }
        _state = ExchangeState.Connecting;
        return IoOperation.Connect;
    }

    /// <summary>The try failed before a response head and is not tried again: counted, and the client answered <paramref name="status"/>.</summary>
    private IoOperation UpstreamFailed(int status, UpstreamFailure cause)
    {
        ReportTryFailure(cause);
        Disarm();
        return RunUpstreamFailedStages(status) ?? AnswerLocal(status, _closeOnLocal);
    }

    /// <summary>
    /// The try failed before a response head for <paramref name="condition"/>: counted, then sent
    /// to another endpoint when the cluster's retry policy allows, else answered <paramref name="status"/>.
    /// </summary>
    private IoOperation TryFailed(int status, UpstreamFailure cause, RetryConditions condition)
    {
        ReportTryFailure(cause);
        Disarm();
        return RetryElsewhere(condition, status) ?? RunUpstreamFailedStages(status) ?? AnswerLocal(status, _closeOnLocal);
    }

    /// <summary>
    /// Sends the request to another endpoint of the same cluster when the cluster's retry policy
    /// (<see cref="RetryModel"/>) takes <paramref name="condition"/>, a try is left, the request
    /// is safe to repeat and the retry budget has room; null (nothing changed) otherwise. Callers
    /// are all before the response head went to the client, so nothing of this try reached it.
    /// </summary>
    private IoOperation? RetryElsewhere(RetryConditions condition, int status)
    {
        var cluster = _leg.Cluster;
        if (cluster is null || _pumpRunning)
        {
            return null;
        }
        var policy = cluster.Model.Retry;
        if ((policy.On & condition) == 0 || _leg.Tries >= policy.Attempts || !SafeToRepeat(policy))
        {
            return null;
        }
        if (!_leg.TryStartRetry())
        {
            // The budget is spent (the cluster counts it): many requests failing at once must not
            // double the upstream's load with their retries.
            return null;
        }
        var failed = EndTry();
        // The retry stays in the cluster of the try that failed (a stage may have chosen it).
        _exchange.Cluster = cluster;
        return PickUpstream(failed, status);
    }

    /// <summary>
    /// Ends a try whose request goes out again (a retry, or a stage's Retry): its deadline, its
    /// connection, its endpoint's count and any response it had. Returns the endpoint it went to.
    /// </summary>
    private EndpointState? EndTry()
    {
        Disarm();
        DropUpstream();
        var endpoint = _exchange.Endpoint;
        endpoint?.OnRequestEnd();
        _exchange.Endpoint = null;
        _exchange.Response = null;
        _exchange.Attempt++;
        _responseHeadSeen = false;
        _exchange.ClearHeldHead();
        return endpoint;
    }

    /// <summary>
    /// The request may be sent again: its body is not streaming from the client (none, or whole
    /// in hand), and its method is idempotent (RFC 9110 §9.2.2) or one the policy names.
    /// </summary>
    private bool SafeToRepeat(RetryModel policy)
    {
        if (_hasBody)
        {
            // A streamed body is gone once sent: there is nothing to send again.
            return false;
        }
        if (IsIdempotent(_request.Method))
        {
            return true;
        }
        var method = _request.MethodBytes;
        var methods = policy.Methods;
        for (var i = 0; i < methods.Count; i++)
        {
            if (System.Text.Ascii.Equals(method, methods[i]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The final response's status is one the cluster's retry policy sends elsewhere.</summary>
    private static bool IsRetriedStatus(RetryModel policy, int status)
    {
        if ((policy.On & RetryConditions.Status) == 0)
        {
            return false;
        }
        var statuses = policy.Statuses;
        for (var i = 0; i < statuses.Count; i++)
        {
            if (statuses[i] == status)
            {
                return true;
            }
        }
        return false;
    }

    private IoOperation OnResponseHeadBytes()
    {
        // A reset or a timeout is retried only before any byte of a response: after one, the
        // upstream has shown it took the request.
        var beforeResponse = !_leg.ResponseStarted;
        if (_fault is not null)
        {
            return CanRetry ? Retry()
                : TryFailed(502, UpstreamFailure.ClosedBeforeResponse, beforeResponse ? RetryConditions.Reset : RetryConditions.None);
        }
        var result = _read;
        if (result.IsCanceled)
        {
            // Examined nothing: bytes that came with the cancel are seen again at once.
            var untouched = result.Buffer.IsEmpty;
            _leg.Connection!.Input.AdvanceTo(result.Buffer.Start);
            var fired = _deadline.Fired;
            CountFirstByteTimeout(fired);
            if (fired != TimeoutKind.None && _pumpRunning)
            {
                // The body stalled (or, once sent, the response head is late): the pump knows which.
                return JoinPump(AfterPump.PumpDecides);
            }
            return fired != TimeoutKind.None
                ? TryFailed(504, UpstreamFailure.ResponseTimeout, beforeResponse && untouched ? RetryConditions.Timeout : RetryConditions.None)
                : IoOperation.ReadUpstream;
        }
        OnFirstResponseBytes(result.Buffer);
        switch (_leg.ReadResponseHead(result))
        {
            case ResponseHeadRead.NeedMoreData:
            case ResponseHeadRead.Interim:
                return IoOperation.ReadUpstream;
            case ResponseHeadRead.Invalid:
                return UpstreamFailed(502, UpstreamFailure.BadResponseHead);
            case ResponseHeadRead.ClosedEmpty:
                return CanRetry ? Retry()
                    : TryFailed(502, UpstreamFailure.ClosedBeforeResponse, beforeResponse ? RetryConditions.Reset : RetryConditions.None);
            case ResponseHeadRead.ClosedPartial:
                return UpstreamFailed(502, UpstreamFailure.ClosedBeforeResponse);
        }
        var response = _leg.Response;
        _responseHeadSeen = true;
        Disarm();
        var now = LoopClock.Now;
        // Sent off the loop (a body's pump) and answered on it, the two times come from two clocks.
        _exchange.UpstreamTicks = Math.Max(0, now - _leg.RequestSentAt);
        _gateway.Metrics.UpstreamLatency.Record(_exchange.UpstreamTicks);
        _exchange.Endpoint?.OnResponse(response.StatusCode, _exchange.UpstreamTicks, now);
        if (response.StatusCode == 101)
        {
            // Only ever read for a WebSocket upgrade we forwarded (any other 101 is invalid).
            return OnSwitchingProtocols(response);
        }
        // A status the policy retries goes elsewhere before any stage or the client sees it; its
        // connection and unread body are dropped. Refused (no try left, budget spent), the
        // response goes to the client as it is.
        if (IsRetriedStatus(_leg.Cluster!.Model.Retry, response.StatusCode) && RetryElsewhere(RetryConditions.Status, response.StatusCode) is { } retry)
        {
            return retry;
        }
        _exchange.Response = response;
        if (_exchange.Chain.HasResponseHead && RunResponseHeadStages() is { } next)
        {
            return next;
        }
        return BeginResponse(response);
    }

    private IoOperation BeginResponse(ResponseHead response)
    {
        var request = _request;
        var status = response.StatusCode;
        var noBody = request.Method == RequestMethod.Head || status is 204 or 304;
        var framing = response.IsChunked ? Http1BodyFraming.Chunked
            : response.ContentLength >= 0 ? Http1BodyFraming.ContentLength
            : Http1BodyFraming.UntilClose;
        var client11 = request.Version == ProtocolVersion.Http11;
        var chain = _exchange.Chain;
        _responseEvents = !noBody && chain.HasResponseEvents && IsEventStream(response);
        if (_responseEvents)
        {
            _sseReader?.Reset();
        }
        _responseThroughStages = !noBody && (chain.HasResponseBody || _responseEvents);
        // Stages that may change the length leave the client without a Content-Length it can trust.
        var clientFraming = _responseThroughStages && (chain.ChangesResponseLength || _responseEvents) ? Http1BodyFraming.UntilClose : framing;
        // Bodies of unknown length go to an HTTP/1.1 client chunked; an HTTP/1.0 client can only
        // see their end as the connection closing.
        _chunkToClient = !noBody && client11 && clientFraming != Http1BodyFraming.ContentLength;
        // A response that comes while the request body still flows ends the connection, unless
        // the body turns out to be complete (its unread rest would be read as the next request).
        _closeClient = !request.KeepAlive || _closeWhenIdle || (!noBody && !client11 && clientFraming != Http1BodyFraming.ContentLength)
            || !RequestBodyDone;
        _upstreamReusable = response.KeepAlive && (noBody || framing != Http1BodyFraming.UntilClose);
        _exchange.Status = status;
        var empty = noBody || (framing == Http1BodyFraming.ContentLength && response.ContentLength == 0);
        // A stage that holds the head (to answer with another status once it read the body) gets
        // it written with the body's first bytes instead.
        _headPending = _exchange.ResponseHeadHeld && _responseThroughStages && !empty && clientFraming != Http1BodyFraming.ContentLength;
        if (!_headPending)
        {
            WriteResponseHead(response, noBody, clientFraming, _chunkToClient, _closeClient);
        }
        if (empty)
        {
            _exchange.FirstByteSent();
            _responseComplete = true;
            _state = ExchangeState.FlushingResponse;
            return FlushWithDeadline(IoOperation.FlushClient);
        }
        // Trailers (gRPC's status among them) go on to a client the body is chunked for, on the
        // stage path too (StageTrailers.cs); other framings have no place for them and drop them.
        _leg.ResponseBody.Start(framing, response.ContentLength, long.MaxValue, keepTrailers: _chunkToClient);
        BeginResponseBody(response);
        _state = ExchangeState.ReadingResponseBody;
        return IoOperation.ReadUpstream;
    }

    private IoOperation OnResponseBodyBytes()
    {
        if (_draining)
        {
            return OnDrainBytes();
        }
        var input = _leg.Connection!.Input;
        if (_fault is not null)
        {
            // A reset ends a close-delimited body as well as a close would; any other body is cut short.
            if (_leg.ResponseBody.Framing != Http1BodyFraming.UntilClose)
            {
                if (EndCutResponseThroughStages() is { } cut)
                {
                    return cut;
                }
                ReportUpstreamFailure(UpstreamFailure.ResponseBodyFailed);
                return Abort();
            }
            _read = new System.IO.Pipelines.ReadResult(default, isCanceled: false, isCompleted: true);
        }
        var result = _read;
        var buffer = result.Buffer;
        if (result.IsCanceled)
        {
            // Examined nothing: bytes that came with the cancel are seen again at once.
            input.AdvanceTo(buffer.Start);
            if (_deadline.Fired == TimeoutKind.None)
            {
                return EndStreamForDrain() ?? IoOperation.ReadUpstream;
            }
            if (_deadline.Fired == TimeoutKind.StreamIdle)
            {
                return EndStreamOnTimeout();
            }
            ReportUpstreamFailure(UpstreamFailure.ResponseBodyFailed);
            return Abort();
        }
        var status = _responseThroughStages
            ? CopyResponseThroughStages(buffer, result.IsCompleted, out var consumed, out var written)
            : CopyResponse(buffer, result.IsCompleted, out consumed, out written);
        if (_fault is null)
        {
            input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
        }
        _exchange.BytesOut += written;
        if (written > 0)
        {
            _exchange.FirstByteSent();
        }
        if (status == Http1CopyStatus.Complete)
        {
            _responseComplete = true;
            _state = ExchangeState.FlushingResponse;
            return FlushWithDeadline(IoOperation.FlushClient);
        }
        if (status != Http1CopyStatus.NeedMoreData || result.IsCompleted)
        {
            // The head is already out: all we can do for the client is close mid-body, after what
            // the stages that watch the end add (an error event).
            if (!_stageTerminated && EndCutResponseThroughStages() is { } cut)
            {
                return cut;
            }
            if (!_stageTerminated)
            {
                ReportUpstreamFailure(UpstreamFailure.ResponseBodyFailed);
            }
            return Abort();
        }
        if (EndStreamForDrain() is { } ended)
        {
            return ended;
        }
        _state = ExchangeState.FlushingResponseBody;
        return IoOperation.FlushClient;
    }

    /// <summary>The plain path: the upstream's framing decoded and the body framed again for the client, in one pass.</summary>
    private Http1CopyStatus CopyResponse(in ReadOnlySequence<byte> input, bool inputEnded, out long consumed, out long written)
    {
        if (_streaming && _streamKind == StreamKind.Sse)
        {
            return CopyEventStream(input, inputEnded, out consumed, out written);
        }
        var writer = new Http1BodyWriter<PipeWriter>(_output, _chunkToClient);
        var status = _leg.ResponseBody.Read(input, inputEnded, ref writer, out consumed);
        written = writer.Commit();
        return status;
    }

    private IoOperation OnResponseBodyFlushed()
    {
        if (IsStaleCancel(_flush))
        {
            return IoOperation.FlushClient;
        }
        if (_fault is null && !_flush.IsCompleted && _flush.IsCanceled && _deadline.Fired == TimeoutKind.StreamIdle)
        {
            // The stream's deadline passed while this flush waited, or just before it began (the
            // portable transport's heartbeat cancels from another thread): what the flush carried is
            // still queued for the client, so the stream ends at the event boundary as it would
            // have while waiting on its upstream; a client that takes nothing meets the send timeout.
            return EndStreamOnTimeout();
        }
        if (_fault is not null || _flush.IsCompleted || _flush.IsCanceled)
        {
            // The client left: a stage may want the rest of the response read for it.
            return BeginDrain() ?? Abort();
        }
        if (EndStreamForDrain() is { } ended)
        {
            return ended;
        }
        ArmResponseBodyIdle();
        _state = ExchangeState.ReadingResponseBody;
        return IoOperation.ReadUpstream;
    }

    private IoOperation OnResponseFlushed()
    {
        if (IsStaleCancel(_flush))
        {
            return IoOperation.FlushClient;
        }
        if (_pumpRunning)
        {
            return JoinPump(AfterPump.Resume, stop: !_requestBodyRead);
        }
        var delivered = _fault is null && !_flush.IsCompleted && !_flush.IsCanceled;
        if (_responseComplete && _upstreamReusable && RequestBodySent)
        {
            _leg.ReturnConnection();
        }
        var bodyLeft = !RequestBodyDone;
        FinishExchange();
        if (delivered && bodyLeft)
        {
            // An early answer: the client may still be sending the body nobody will read.
            return BeginLingering();
        }
        return delivered && !_closeClient ? BeginNextRequest() : IoOperation.Close;
    }

    /// <summary>Answers the client with a response the proxy makes itself, then keeps or closes the connection.</summary>
    private IoOperation AnswerLocal(int status, bool close)
    {
        if (_pumpRunning)
        {
            _pendingStatus = status;
            _pendingClose = close;
            return JoinPump(AfterPump.AnswerLocal);
        }
        if (_current is null)
        {
            BeginExchange();
        }
        DropUpstream();
        _exchange.Status = status;
        if (status >= 400 && IsGrpcRequest())
        {
            WriteGrpcAnswer(status, close);
        }
        else if (_exchange.IsAnswered || _exchange.ResponseEdits is not null)
        {
            WriteLocalAnswer(status, close);
        }
        else
        {
            var head = _request.Method == RequestMethod.Head;
            var bytes = _circuitCap != CircuitCap.None ? CircuitAnswers.Response(_circuitCap, close, head)
                : head ? Http1StatusResponses.GetHead(status, close) : Http1StatusResponses.Get(status, close);
            _output.Write(bytes);
            _exchange.BytesOut += bytes.Length;
        }
        _exchange.FirstByteSent();
        _closeAfterLocal = close;
        _state = ExchangeState.FlushingLocal;
        return FlushWithDeadline(IoOperation.FlushClient);
    }

    private IoOperation OnLocalFlushed()
    {
        if (IsStaleCancel(_flush))
        {
            return IoOperation.FlushClient;
        }
        FinishExchange();
        if (_fault is not null || _flush.IsCompleted || _flush.IsCanceled)
        {
            return IoOperation.Close;
        }
        return _closeAfterLocal ? BeginLingering() : BeginNextRequest();
    }

    /// <summary>
    /// A lingering close (RFC 9112 §9.6, nginx's lingering_close): the client may still be sending
    /// the rest of a request we refused, and closing a socket with unread input sends a reset
    /// that can destroy our answer before the client reads it. So send a FIN after the answer,
    /// then read and discard until the client closes or <see cref="LingerTime"/> passes.
    /// </summary>
    private IoOperation BeginLingering()
    {
        // Completing the output lets the transport finish sending, then shut down its send side.
        _output.Complete();
        Arm(TimeoutKind.Linger, LingerTime);
        _state = ExchangeState.Lingering;
        return IoOperation.ReadClient;
    }

    private IoOperation OnLingerBytes()
    {
        if (_fault is not null)
        {
            return IoOperation.Close;
        }
        var result = _read;
        _input.AdvanceTo(result.Buffer.End);
        if (result.IsCompleted || (result.IsCanceled && _deadline.Fired != TimeoutKind.None))
        {
            return IoOperation.Close;
        }
        return IoOperation.ReadClient;
    }

    /// <summary>
    /// A flush cancelled by a deadline fire meant for an earlier arming (see
    /// <see cref="ConnectionDeadline"/>): the flush is simply awaited again.
    /// </summary>
    private bool IsStaleCancel(in System.IO.Pipelines.FlushResult flush) =>
        _fault is null && flush.IsCanceled && !flush.IsCompleted && _deadline.Fired == TimeoutKind.None;

    /// <summary>Ends the exchange without a clean finish; the connection closes.</summary>
    private IoOperation Abort()
    {
        if (_pumpRunning)
        {
            return JoinPump(AfterPump.Abort);
        }
        if (_exchange.Status == 0)
        {
            _exchange.Status = 499;
        }
        FinishExchange();
        return IoOperation.Close;
    }

    /// <summary>
    /// A try failed before its response head: counted and logged as an upstream failure, and told
    /// to the endpoint (its passive health) — except a pooled connection that closed before a
    /// byte of the answer, which is the keep-alive race rather than the endpoint failing.
    /// </summary>
    private void ReportTryFailure(UpstreamFailure cause)
    {
        ReportUpstreamFailure(cause);
        var endpoint = _exchange.Endpoint;
        if (endpoint is null)
        {
            return;
        }
        switch (cause)
        {
            case UpstreamFailure.ConnectRefused:
            case UpstreamFailure.ConnectTimeout:
            case UpstreamFailure.Unresolvable:
            case UpstreamFailure.ConnectFailed:
            case UpstreamFailure.TlsHandshakeFailed:
                endpoint.OnConnectFailure();
                break;
            case UpstreamFailure.SendFailed or UpstreamFailure.ClosedBeforeResponse when _leg.Reused && !_leg.ResponseStarted:
                break;
            default:
                endpoint.OnFailure();
                break;
        }
    }

    /// <summary>
    /// Counts an upstream failure of this exchange (fastgate_upstream_errors_total) and logs why,
    /// rate-limited; every upstream failure comes here, and only failures.
    /// </summary>
    private void ReportUpstreamFailure(UpstreamFailure cause)
    {
        _gateway.Metrics.UpstreamError();
        var endpoint = _exchange.Endpoint;
        if (endpoint is null)
        {
            return;
        }
        var detail = _fault switch
        {
            null => null,
            SocketException socket => socket.SocketErrorCode.ToString(),
            UpstreamTlsException tls => tls.Message,
            _ => _fault.GetType().Name,
        };
        _gateway.Log.UpstreamFailures.Report(_exchange.Route?.Model.Name, endpoint.Address, cause, detail);
    }

    private static UpstreamFailure ConnectFailure(Exception fault) => fault switch
    {
        OperationCanceledException => UpstreamFailure.ConnectTimeout,
        UpstreamTlsException => UpstreamFailure.TlsHandshakeFailed,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => UpstreamFailure.ConnectRefused,
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } => UpstreamFailure.Unresolvable,
        _ => UpstreamFailure.ConnectFailed,
    };

    private void DropUpstream() => _leg.DropConnection();

    /// <summary>Releases what the exchange holds, counts it and writes its access-log line.</summary>
    private void FinishExchange()
    {
        if (_current is null)
        {
            return;
        }
        StopDrain();
        if (_streaming)
        {
            EndStream();
        }
        Disarm();
        EndWebSocketExchange();
        // The upstream connection goes now; the response head stays readable for the completion
        // stages until the exchange is given back.
        _leg.DropConnection();
        var endpoint = _exchange.Endpoint;
        endpoint?.OnRequestEnd();
        var status = _exchange.Status == 0 ? 499 : _exchange.Status;
        _exchange.Status = status;
        var route = _exchange.Route;
        if (_exchange.Chain.HasComplete)
        {
            _exchange.Chain.RunComplete(_exchange, _gateway.Log);
        }
        var metrics = _gateway.Metrics;
        // The exchange counts its bytes as it goes; the shared counters take them once, at the end.
        metrics.AddBytesIn(_exchange.BytesIn);
        metrics.AddBytesOut(_exchange.BytesOut);
        (route?.State ?? metrics.Unrouted).Count(status);
        if (_exchange.Consumer is { } consumer)
        {
            metrics.Consumer(consumer.Name).Count(status);
        }
        var log = _gateway.AccessLog;
        if (log is not null)
        {
            WriteAccessLog(log, status, route, endpoint);
        }
        ReturnExchange();
    }

    private void WriteAccessLog(AccessLog log, int status, RouteRuntime? route, EndpointState? endpoint)
    {
        var request = _request;
        var record = new AccessLogRecord
        {
            Time = DateTime.UtcNow,
            Client = _clientAddress,
            Method = request.MethodBytes,
            Target = request.Target,
            Protocol = _http2Stream ? "HTTP/2.0"u8 : request.Version == ProtocolVersion.Http10 ? "HTTP/1.0"u8 : "HTTP/1.1"u8,
            Host = request.Host,
            Status = status,
            BytesIn = _exchange.BytesIn,
            BytesOut = _exchange.BytesOut,
            DurationTicks = Math.Max(0, LoopClock.Now - _exchange.StartTimestamp),
            Route = route is null ? default : route.NameUtf8,
            Upstream = endpoint is null ? default : endpoint.AddressUtf8,
            UpstreamTicks = _exchange.UpstreamTicks,
            Consumer = _exchange.Consumer is { } consumer ? consumer.NameUtf8 : default,
            RequestId = _exchange.RequestId,
        };
        log.Write(record);
    }
}
