using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// The request body streams upstream on a second loop, the pump, while the connection loop reads
/// the response: an upstream may answer early (413, 401) before the body is all in, or answer as
/// the body flows (a full-duplex stream), and neither must wait for the body to finish. Requests
/// without a body never start a pump and keep the one-loop path.
/// <para>
/// While the pump runs it alone touches the client's input and the upstream's output, and the
/// connection loop alone the upstream's input and the client's output. The loop joins the pump
/// (stopping it if need be) before it ends the exchange; the pump asks for the loop's attention
/// only when the exchange cannot go on (client gone, bad framing, body too large).
/// </para>
/// </summary>
public sealed partial class Http1ProxyConnection
{
    private Http1BodyCopier _requestBody;
    private bool _pumpRunning;
    private ValueTask _pump;
    private volatile bool _stopPump;
    private volatile bool _pumpAttention;
    private volatile RequestBodyOutcome _requestBodyOutcome;
    private volatile bool _requestBodyRead;
    private volatile bool _responseHeadSeen;

    // What the loop was doing when it went to join the pump, to take up again after.
    private ExchangeState _stateBeforeJoin;
    private Exception? _faultBeforeJoin;
    private AfterPump _afterPump;
    private int _pendingStatus;
    private bool _pendingClose;

    private enum AfterPump : byte
    {
        /// <summary>Re-run the state's handler with the same I/O result.</summary>
        Resume,
        /// <summary>Answer locally with <see cref="_pendingStatus"/>.</summary>
        AnswerLocal,
        /// <summary>Answer what the pump's outcome calls for.</summary>
        PumpDecides,
        Abort,
    }

    private IoOperation BeginRequestBody()
    {
        var request = _request;
        // A chunked body's trailers go on upstream (RFC 9110 §6.5; an HTTP/2 upstream gets them as trailing HEADERS).
        _requestBody.Start(request.IsChunked ? Http1BodyFraming.Chunked : Http1BodyFraming.ContentLength, request.ContentLength, encodeChunked: true, _exchange.Route!.MaxBodyBytes, keepTrailers: true);
        _stopPump = false;
        _pumpAttention = false;
        _responseHeadSeen = false;
        _requestBodyOutcome = RequestBodyOutcome.None;
        _requestBodyRead = false;
        _leg.RequestSent();
        var upstream = _leg.Connection!.Output;
        var copied = CopyRequestBodyInHand(upstream, out var consumed, out var clientEnded);
        switch (copied)
        {
            case Http1CopyStatus.Complete:
                _requestBodyRead = true;
                return SendRequestBodyInHand(upstream);
            case Http1CopyStatus.InvalidFraming:
                _requestBodyOutcome = RequestBodyOutcome.InvalidFraming;
                return AnswerForPump();
            case Http1CopyStatus.TooLarge:
                _requestBodyOutcome = RequestBodyOutcome.TooLarge;
                return AnswerForPump();
        }
        if (clientEnded)
        {
            _requestBodyOutcome = RequestBodyOutcome.ClientClosed;
            return AnswerForPump();
        }
        BeginRequestBodyRate();
        if (consumed > 0 && !RequestBodyKeepsRate(consumed))
        {
            _requestBodyOutcome = RequestBodyTooSlow();
            return AnswerForPump();
        }
        // The head (and the part of the body at hand) goes upstream with the pump's first flush.
        return StartPump(upstream, copiedOnLoop: consumed > 0, pendingFlush: null);
    }

    /// <summary>
    /// Copies what the client's connection already holds of the body (most often all of it: a
    /// small body comes in the read that brought the head) into the upstream's writer, behind the
    /// head. NeedMoreData with nothing consumed when nothing is at hand (or the read fails: the
    /// pump then meets the failure on its own read).
    /// </summary>
    private Http1CopyStatus CopyRequestBodyInHand(PipeWriter upstream, out long consumed, out bool clientEnded)
    {
        consumed = 0;
        clientEnded = false;
        ReadResult read;
        try
        {
            if (!_input.TryRead(out read))
            {
                return Http1CopyStatus.NeedMoreData;
            }
        }
        catch (Exception)
        {
            return Http1CopyStatus.NeedMoreData;
        }
        var buffer = read.Buffer;
        if (read.IsCanceled || buffer.IsEmpty)
        {
            // Examined nothing: the pump's first read sees the same bytes (or the end).
            _input.AdvanceTo(buffer.Start);
            return Http1CopyStatus.NeedMoreData;
        }
        var status = CopyBody(buffer, read.IsCompleted, upstream, out consumed);
        clientEnded = status == Http1CopyStatus.NeedMoreData && read.IsCompleted;
        return status;
    }

    /// <summary>Copies what <paramref name="buffer"/> holds of the body into <paramref name="upstream"/> and consumes it from the client's reader.</summary>
    private Http1CopyStatus CopyBody(ReadOnlySequence<byte> buffer, bool clientEnded, PipeWriter upstream, out long consumed)
    {
        var status = _requestBody.Copy(buffer, clientEnded, upstream, out consumed, out _);
        var bodyEnd = buffer.GetPosition(consumed);
        // Past a complete body the bytes are a pipelined request, not yet looked at: the next
        // read must see them without waiting for more.
        _input.AdvanceTo(bodyEnd, status == Http1CopyStatus.Complete ? bodyEnd : buffer.End);
        _exchange.BytesIn += consumed;
        return status;
    }

    /// <summary>
    /// The whole body came with the head: both go upstream in one flush, and when the upstream
    /// takes them at once the exchange goes on as one without a body, with no pump. A flush that
    /// must wait is left to the pump, so that an upstream answering before it takes the body
    /// (a 413 to a large upload) is still heard meanwhile.
    /// </summary>
    private IoOperation SendRequestBodyInHand(PipeWriter upstream)
    {
        ValueTask<FlushResult> flushing;
        try
        {
            flushing = upstream.FlushAsync();
        }
        catch (Exception ex)
        {
            flushing = ValueTask.FromException<FlushResult>(ex);
        }
        if (flushing.IsCompletedSuccessfully)
        {
            var flush = flushing.Result;
            if (!flush.IsCompleted && !flush.IsCanceled)
            {
                _requestBodyOutcome = RequestBodyOutcome.Complete;
                ArmResponseHead();
                _state = ExchangeState.ReadingResponseHead;
                return IoOperation.ReadUpstream;
            }
            // A cancel (stale) or an upstream gone: the pump's flush loop tells which.
            flushing = new ValueTask<FlushResult>(flush);
        }
        BeginRequestBodyRate();
        return StartPump(upstream, copiedOnLoop: true, pendingFlush: flushing);
    }

    private IoOperation StartPump(PipeWriter upstream, bool copiedOnLoop, ValueTask<FlushResult>? pendingFlush)
    {
        _pumpRunning = true;
        _state = ExchangeState.ReadingResponseHead;
        _pump = PumpRequestBodyAsync(upstream, copiedOnLoop, pendingFlush);
        return IoOperation.ReadUpstream;
    }

    /// <summary>Copies the request body from the client to the upstream until it ends, fails, or is stopped.</summary>
    /// <param name="copiedOnLoop">The loop already copied the body's first bytes (or all of it) into <paramref name="upstream"/>: the pump starts by flushing them.</param>
    /// <param name="pendingFlush">That flush, when the loop has started it.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PumpRequestBodyAsync(PipeWriter upstream, bool copiedOnLoop, ValueTask<FlushResult>? pendingFlush)
    {
        var outcome = RequestBodyOutcome.ClientClosed;
        var status = _requestBodyRead ? Http1CopyStatus.Complete : Http1CopyStatus.NeedMoreData;
        try
        {
            while (true)
            {
                if (copiedOnLoop)
                {
                    copiedOnLoop = false;
                }
                else
                {
                    var read = await _input.ReadAsync().ConfigureAwait(false);
                    var buffer = read.Buffer;
                    if (read.IsCanceled)
                    {
                        // Examined nothing: bytes that came with the cancel are seen again at once.
                        _input.AdvanceTo(buffer.Start);
                        if (_deadline.Fired != TimeoutKind.None)
                        {
                            OnRequestBodyDeadline();
                            outcome = RequestBodyOutcome.ClientIdle;
                            return;
                        }
                        if (_stopPump)
                        {
                            outcome = RequestBodyOutcome.Stopped;
                            return;
                        }
                        continue;
                    }
                    status = CopyBody(buffer, read.IsCompleted, upstream, out var consumed);
                    switch (status)
                    {
                        case Http1CopyStatus.InvalidFraming:
                            outcome = RequestBodyOutcome.InvalidFraming;
                            return;
                        case Http1CopyStatus.TooLarge:
                            outcome = RequestBodyOutcome.TooLarge;
                            return;
                        case Http1CopyStatus.NeedMoreData when read.IsCompleted:
                            outcome = RequestBodyOutcome.ClientClosed;
                            return;
                        case Http1CopyStatus.Complete:
                            // All of it is off the client's connection: whatever the upstream does
                            // now, the next bytes there are the next request.
                            _requestBodyRead = true;
                            break;
                        case Http1CopyStatus.NeedMoreData when !RequestBodyKeepsRate(consumed):
                            outcome = RequestBodyTooSlow();
                            return;
                    }
                }
                PauseRequestBodyRate();
                while (true)
                {
                    FlushResult flush;
                    try
                    {
                        var flushing = pendingFlush ?? upstream.FlushAsync();
                        pendingFlush = null;
                        flush = await flushing.ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        outcome = RequestBodyOutcome.UpstreamSendFailed;
                        return;
                    }
                    if (_loop is not null && !_loop.IsCurrent)
                    {
                        // An upstream on another transport completed the flush on its own thread.
                        await _loop.SwitchTo();
                    }
                    if (flush.IsCompleted)
                    {
                        outcome = RequestBodyOutcome.UpstreamSendFailed;
                        return;
                    }
                    if (!flush.IsCanceled)
                    {
                        break;
                    }
                    if (_deadline.Fired != TimeoutKind.None)
                    {
                        outcome = RequestBodyOutcome.UpstreamIdle;
                        return;
                    }
                    if (_stopPump)
                    {
                        outcome = RequestBodyOutcome.Stopped;
                        return;
                    }
                }
                if (status == Http1CopyStatus.Complete)
                {
                    // The body is all sent: from now on the response head has the route's timeout,
                    // unless it has already come.
                    if (!_responseHeadSeen)
                    {
                        ArmResponseHead();
                    }
                    outcome = RequestBodyOutcome.Complete;
                    return;
                }
                ArmRequestBodyRead();
            }
        }
        catch (Exception)
        {
            // A broken client connection (or one the loop completed while closing): the pump must
            // never fault, the loop awaits it.
            outcome = RequestBodyOutcome.ClientClosed;
        }
        finally
        {
            _requestBodyOutcome = outcome;
            if (!_stopPump && (outcome is RequestBodyOutcome.ClientClosed or RequestBodyOutcome.InvalidFraming or RequestBodyOutcome.TooLarge || _requestBodyTooSlow))
            {
                // The exchange cannot go on: wake the loop from its wait on the upstream or the client.
                _pumpAttention = true;
                CancelLoopWaits();
            }
        }
    }

    private void CancelLoopWaits()
    {
        try
        {
            _leg.Connection?.Input.CancelPendingRead();
            _output.CancelPendingFlush();
        }
        catch (Exception)
        {
            // Closing meanwhile: nothing left to wake.
        }
    }

    /// <summary>
    /// Joins the pump, stopping it first if <paramref name="stop"/> (a pump that has read the whole
    /// body is otherwise left to finish its last flush, under the deadline, so the upstream
    /// connection stays reusable), then does <paramref name="after"/>. The cancels may land on a
    /// later I/O once the pump has ended; the loops treat them as stale.
    /// </summary>
    private IoOperation JoinPump(AfterPump after, bool stop = true)
    {
        _afterPump = after;
        _stateBeforeJoin = _state;
        _faultBeforeJoin = _fault;
        if (stop && _requestBodyOutcome == RequestBodyOutcome.None)
        {
            _stopPump = true;
            try
            {
                _input.CancelPendingRead();
                _leg.Connection?.Output.CancelPendingFlush();
            }
            catch (Exception)
            {
            }
        }
        _state = ExchangeState.JoiningPump;
        return IoOperation.JoinPump;
    }

    private IoOperation OnPumpJoined()
    {
        _pumpRunning = false;
        _pump = default;
        _fault = _faultBeforeJoin;
        _faultBeforeJoin = null;
        _state = _stateBeforeJoin;
        switch (_afterPump)
        {
            case AfterPump.AnswerLocal:
                return AnswerLocal(_pendingStatus, _pendingClose);
            case AfterPump.Abort:
                return Abort();
            case AfterPump.PumpDecides:
                return AnswerForPump();
            default:
                return Continue();
        }
    }

    /// <summary>The answer when the pump ended the exchange, or a deadline fired while it ran.</summary>
    private IoOperation AnswerForPump()
    {
        if (_responseHeadSeen)
        {
            // Our client already has a response head: all that is left is to cut it short.
            return Abort();
        }
        switch (_requestBodyOutcome)
        {
            case RequestBodyOutcome.InvalidFraming:
                return AnswerLocal(400, close: true);
            case RequestBodyOutcome.TooLarge:
                return AnswerLocal(413, close: true);
            case RequestBodyOutcome.ClientIdle:
                return AnswerLocal(408, close: true);
            case RequestBodyOutcome.UpstreamIdle:
                return UpstreamFailed(504, Observability.UpstreamFailure.SendTimeout);
            case RequestBodyOutcome.ClientClosed:
                return Abort();
            default:
                // The route's timeout for the response head, once the body was all sent.
                return UpstreamFailed(504, Observability.UpstreamFailure.ResponseTimeout);
        }
    }

    /// <summary>The client's connection holds no more of this request's body (or there was none).</summary>
    private bool RequestBodyDone => !_hasBody || _requestBodyRead;

    /// <summary>The request body reached the upstream whole (or there was none): its connection may be reused.</summary>
    private bool RequestBodySent => !_hasBody || _requestBodyOutcome == RequestBodyOutcome.Complete;
}
