using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastGate.Core.Http2;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

// h2c on the epoll transport: the loop drives the connection instead of resuming its read and
// write loops. Reading parks on the socket (IParkedReader) and the loop's readiness reads and
// handles the frames at once; the frames queued during a turn go out at the turn's end
// (ILoopTurnEndWork), where the socket's own send of them follows in the same pass. An async
// method takes over only where something must be waited for: the preface, a flush the client's
// TCP window holds back, the end (the sender's completion, the linger). Over a stream or TLS, or
// off the loops, the read and write loops run as before.
public sealed partial class Http2Connection
{
    // The transport is the loop's own connection (see the remarks above); set once.
    private readonly bool _driven;
    // Driven writing, loop thread only: on the turn's end list; a flush is awaited; the writer ended.
    private bool _writeQueued;
    private bool _flushWaiting;
    private bool _writerEnded;
    // Made on the first wake of the writer from off the loop, if ever.
    private Action? _signalWriterOnLoop;

    /// <summary>Frames were queued: the writer hands them on (driven: at the end of this loop turn).</summary>
    private void SignalWriter()
    {
        if (!_driven)
        {
            _writeSignal.Set();
            return;
        }
        var loop = _loop!;
        if (!loop.IsCurrent)
        {
            loop.Post(_signalWriterOnLoop ??= SignalWriter);
            return;
        }
        if (_writeQueued || _writerEnded)
        {
            return;
        }
        _writeQueued = true;
        loop.AtTurnEnd(this);
    }

    void ILoopTurnEndWork.OnTurnEnd()
    {
        _writeQueued = false;
        if (_flushWaiting || _writerEnded)
        {
            // A flush still waits: what was queued meanwhile goes out when it completes.
            return;
        }
        WriteDriven();
    }

    /// <summary>
    /// Hands what is pending to the transport, as the write loop's turn does; a flush that cannot
    /// complete now is awaited (<see cref="AwaitFlushAsync"/>), which writes on afterwards.
    /// </summary>
    private void WriteDriven()
    {
        try
        {
            while (true)
            {
                if (SendPending(out var close) is { } flushing)
                {
                    if (!flushing.IsCompleted)
                    {
                        _flushWaiting = true;
                        _ = AwaitFlushAsync(flushing);
                        return;
                    }
                    if (!AfterFlush(flushing.Result))
                    {
                        _ = EndWriterAsync();
                        return;
                    }
                }
                if (!close)
                {
                    return;
                }
                using (_guard.Enter())
                {
                    if (_pending.Length > 0)
                    {
                        continue;
                    }
                }
                _ = EndWriterAsync();
                return;
            }
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // The client is gone; the reading sees it too.
            _ = EndWriterAsync();
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"HTTP/2 connection from {ClientAddressText}: writing failed: {ex}");
            _ = EndWriterAsync();
        }
    }

    /// <summary>A flush completed: false when the transport will take no more; else pumps held back by pending output go on.</summary>
    private bool AfterFlush(FlushResult flush)
    {
        if (flush.IsCompleted || flush.IsCanceled)
        {
            return false;
        }
        WakeOutputWaiters();
        return true;
    }

    private async Task AwaitFlushAsync(ValueTask<FlushResult> flushing)
    {
        try
        {
            FlushResult flush;
            try
            {
                flush = await flushing.ConfigureAwait(false);
            }
            finally
            {
                // A flush that failed after a long wait is no stall of the connection that lingers on.
                Volatile.Write(ref _flushSince, 0);
            }
            if (!_loop!.IsCurrent)
            {
                // The loop's sender completes its flush on the loop; should one ever not, come back first.
                await _loop.SwitchTo();
            }
            _flushWaiting = false;
            if (!AfterFlush(flush))
            {
                await EndWriterAsync().ConfigureAwait(false);
                return;
            }
        }
        catch (Exception ex)
        {
            if (!IsConnectionFault(ex))
            {
                _gateway.Log.Error($"HTTP/2 connection from {ClientAddressText}: writing failed: {ex}");
            }
            if (!_loop!.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            await EndWriterAsync().ConfigureAwait(false);
            return;
        }
        // What was queued while the flush waited (a close's last frames too) goes out now.
        WriteDriven();
    }

    /// <summary>The writer ended (the last frames went out, or the transport broke), driven or as the write loop's end.</summary>
    private async Task EndWriterAsync()
    {
        if (_writerEnded)
        {
            return;
        }
        _writerEnded = true;
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
        }
        if (_loop is not null && !_loop.IsCurrent)
        {
            await _loop.SwitchTo();
        }
        if (!Volatile.Read(ref _closeAfterWrite))
        {
            // The writer stopped first (the client stopped reading, the transport broke): the reading ends too.
            BeginClose();
            WakeReader();
        }
        _writerDone.Set();
    }

    /// <summary>
    /// The parked connection's socket turned readable, or its read was cancelled (a wake-up to look
    /// at the connection's state, <see cref="WakeReader"/>): reads and handles what came, on the
    /// loop, until the socket is drained; then parks again, or the connection ends.
    /// </summary>
    void IParkedReader.OnReadable()
    {
        var code = Http2ErrorCode.NoError;
        try
        {
            while (true)
            {
                if (!_input.TryRead(out var result))
                {
                    if (EpollConnection.TryParkReader(_input, this))
                    {
                        return;
                    }
                    // Neither bytes nor a park (not expected of the loop's receiver): wait as the read loop does.
                    _ = ReadLoopAsync(prefaceRead: true);
                    return;
                }
                if (EndsReading(result, out code))
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // The client went away: nothing to answer.
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"HTTP/2 connection from {ClientAddressText} failed: {ex}");
            code = Http2ErrorCode.InternalError;
            GoAway(code);
        }
        _ = CloseAsync(code);
    }
}
