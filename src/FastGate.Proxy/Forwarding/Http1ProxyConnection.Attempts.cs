using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http1;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// What stages that steer attempts and read responses to their end get from the HTTP/1.1
/// exchange: the upstream-failed phase (a failed try handed to the stages before the client is
/// answered), the response-end hook (bytes a stage adds before a response ends, whole or cut),
/// and the drain (a response read on through its stages after the client left, output dropped).
/// </summary>
public sealed partial class Http1ProxyConnection
{
    /// <summary>A stage held the response head: it goes out with the first bytes the stages let through.</summary>
    private bool _headPending;

    /// <summary>Writes a held response head now (with the status a stage set, if any); nothing when none is held.</summary>
    private void WritePendingHead()
    {
        if (!_headPending)
        {
            return;
        }
        _headPending = false;
        WriteResponseHead(_exchange.Response!, noBody: false, Http1BodyFraming.UntilClose, _chunkToClient, _closeClient);
    }

    /// <summary>The client left and the response is read on for the stages, its output dropped.</summary>
    private bool _draining;
    private PooledByteBuffer? _drainSink;

    /// <summary>
    /// A try failed before a response head and the cluster does not retry it: the chain's
    /// upstream-failed stages may send it elsewhere or answer. Null when they leave the client
    /// its <paramref name="status"/> (or the chain has none, or the request cannot be sent again).
    /// </summary>
    private IoOperation? RunUpstreamFailedStages(int status)
    {
        var chain = _exchange.Chain;
        if (!chain.HasUpstreamFailed || _hasBody || _pumpRunning || _exchange.Attempt >= MaxStageRetries)
        {
            return null;
        }
        StageOutcome outcome;
        try
        {
            outcome = chain.RunUpstreamFailed(_exchange, status);
        }
        catch (Exception ex)
        {
            return StageFailed(ex);
        }
        switch (outcome)
        {
            case StageOutcome.Answered:
                return AnswerLocal(_exchange.LocalStatus, _closeOnLocal);
            case StageOutcome.Retry:
                EndTry();
                _leg.EndRetry();
                return PickUpstream();
            default:
                return null;
        }
    }

    /// <summary>
    /// The upstream's body was cut on the stage path: stages that watch the end may write a last
    /// piece (an error event). It is flushed to the client, then the connection closes without the
    /// body's end (a response whose head was still held ends whole: the piece is all of it). Null when nothing was written (the caller
    /// cuts the response as before).
    /// </summary>
    private IoOperation? EndCutResponseThroughStages()
    {
        if (!_responseThroughStages || _draining || !_exchange.Chain.HasResponseEnd)
        {
            return null;
        }
        var end = _exchange.Scratch.ResponseEnd;
        end.Clear();
        bool go;
        try
        {
            go = _exchange.Chain.RunResponseEnd(_exchange, complete: false, end);
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"a stage of route '{_exchange.Route?.Model.Name}' failed at the end of a response: {ex.GetType().Name}: {ex.Message}");
            return null;
        }
        if (!go || end.Length == 0 || !_chunkToClient && !_closeClient)
        {
            // A client without chunked framing or a close to end on cannot be told where the piece ends.
            return null;
        }
        ReportUpstreamFailure(UpstreamFailure.ResponseBodyFailed);
        // Nothing went out yet (a held head): the stage's piece is the whole answer, ended cleanly.
        var whole = _headPending;
        WritePendingHead();
        var writer = new Http1BodyWriter<PipeWriter>(_output, _chunkToClient);
        writer.Data(end.WrittenSpan);
        if (whole)
        {
            writer.End();
        }
        _exchange.BytesOut += writer.Commit();
        _exchange.FirstByteSent();
        _upstreamReusable = false;
        _closeClient = true;
        _streamEnd = StreamEndReason.UpstreamGone;
        // Otherwise the piece is flushed and the connection closed without the body's end, so a
        // client that does not read the piece still sees a broken response, never a finished one.
        _responseComplete = whole;
        _state = ExchangeState.FlushingResponse;
        return FlushWithDeadline(IoOperation.FlushClient);
    }

    /// <summary>Writes what the response-end stages add to a whole body, before its end.</summary>
    private bool WriteResponseEnd<TWriter>(ref Http1BodyWriter<TWriter> writer) where TWriter : System.Buffers.IBufferWriter<byte>
    {
        var end = _exchange.Scratch.ResponseEnd;
        end.Clear();
        if (!_exchange.Chain.RunResponseEnd(_exchange, complete: true, end))
        {
            return false;
        }
        writer.Data(end.WrittenSpan);
        return true;
    }

    /// <summary>
    /// The client stopped taking the response: when a stage of the chain asks for it and admits
    /// one more drain, the upstream is read on to its end through the stages, bounded by the
    /// stage's time. Null when no drain starts (the exchange is cut as before).
    /// </summary>
    private IoOperation? BeginDrain()
    {
        if (_draining || !_responseThroughStages || _pumpRunning || _leg.Connection is null || _exchange.Chain.DrainStage is not { } stage)
        {
            return null;
        }
        bool started;
        TimeSpan timeout;
        try
        {
            started = stage.TryBeginDrain(_exchange, out timeout);
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"stage '{stage.Name}' failed to start a drain: {ex.GetType().Name}: {ex.Message}");
            return null;
        }
        if (!started)
        {
            return null;
        }
        _draining = true;
        _exchange.Status = 499;
        _streamEnd = StreamEndReason.ClientGone;
        _upstreamReusable = false;
        _closeClient = true;
        Arm(TimeoutKind.BodyIdle, timeout);
        _state = ExchangeState.ReadingResponseBody;
        return IoOperation.ReadUpstream;
    }

    /// <summary>Upstream bytes while draining: through the stages, output dropped, until the body ends or the time is up.</summary>
    private IoOperation OnDrainBytes()
    {
        var input = _leg.Connection!.Input;
        if (_fault is not null)
        {
            if (_leg.ResponseBody.Framing != Http1BodyFraming.UntilClose)
            {
                return EndDraining();
            }
            _read = new ReadResult(default, isCanceled: false, isCompleted: true);
        }
        var result = _read;
        var buffer = result.Buffer;
        if (result.IsCanceled)
        {
            input.AdvanceTo(buffer.Start);
            return _deadline.Fired != TimeoutKind.None || _client.EndStreamsRequested ? EndDraining() : IoOperation.ReadUpstream;
        }
        var status = CopyResponseThroughStages(buffer, result.IsCompleted, out var consumed, out _);
        if (_fault is null)
        {
            input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
        }
        if (status == Http1CopyStatus.NeedMoreData && !result.IsCompleted)
        {
            return IoOperation.ReadUpstream;
        }
        return EndDraining();
    }

    /// <summary>The drain is over: the exchange completes (status 499) and the connection closes.</summary>
    private IoOperation EndDraining()
    {
        FinishExchange();
        return IoOperation.Close;
    }

    /// <summary>Called when the exchange finishes: a drain in progress is given back to its stage.</summary>
    private void StopDrain()
    {
        if (!_draining)
        {
            return;
        }
        _draining = false;
        try
        {
            _exchange.Chain.DrainStage?.EndDrain(_exchange);
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"a stage failed to end a drain: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Where a drained response's stage output goes: nowhere the client sees.</summary>
    private PooledByteBuffer DrainSink()
    {
        var sink = _drainSink ??= new PooledByteBuffer();
        sink.Clear();
        return sink;
    }
}
