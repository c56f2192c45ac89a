using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastGate.Core.Http;
using FastGate.Core.Http2;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Forwarding.Http2;

// The one writer: frames go into _pending under the guard; the write loop hands them to the
// transport a batch at a time, so the frames of many streams share one flush.
public sealed partial class Http2Connection
{
    /// <summary>
    /// Takes what was queued for the client and hands it to the transport: the flush, or null when
    /// nothing was queued. <paramref name="close"/>: the connection ends once this is out.
    /// </summary>
    private ValueTask<FlushResult>? SendPending(out bool close)
    {
        using (_guard.Enter())
        {
            (_pending, _writing) = (_writing, _pending);
            _controlBacklog = 0;
            close = _closeAfterWrite;
        }
        if (_writing.Length == 0)
        {
            return null;
        }
        _output.Write(_writing.WrittenSpan);
        _writing.Clear();
        var flushing = _output.FlushAsync();
        if (!flushing.IsCompleted)
        {
            // The client's TCP window is full: the heartbeat bounds how long it may stay so.
            Volatile.Write(ref _flushSince, Stopwatch.GetTimestamp());
        }
        return flushing;
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync().ConfigureAwait(false);
                if (SendPending(out var close) is { } flushing)
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
                    if (_loop is not null && !_loop.IsCurrent)
                    {
                        // The transport completes a flush on the loop; one that ever did so elsewhere
                        // comes back first, as the guard takes no lock on a loop (Http2Guard).
                        await _loop.SwitchTo();
                    }
                    if (!AfterFlush(flush))
                    {
                        break;
                    }
                }
                if (close)
                {
                    using (_guard.Enter())
                    {
                        if (_pending.Length > 0)
                        {
                            continue;
                        }
                    }
                    break;
                }
            }
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // The client is gone; the read loop sees it too.
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"HTTP/2 connection from {ClientAddressText}: writing failed: {ex}");
        }
        await EndWriterAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Pumps that stopped for pending output go on once the writer handed it on. Only the streams
    /// that stopped are looked at (the list SendData keeps), not every stream of the connection on
    /// every flush: with many streams and small responses nobody waits, and this is a test of a count.
    /// Write loop only: it alone wakes, so the list being woken is its own until the next call.
    /// </summary>
    private void WakeOutputWaiters()
    {
        Http2Stream?[] waking;
        var count = 0;
        using (_guard.Enter())
        {
            if (_outputWaiterCount == 0 || _pending.Length >= OutputHighWater)
            {
                return;
            }
            waking = _outputWaiters;
            for (var i = 0; i < _outputWaiterCount; i++)
            {
                var stream = waking[i]!;
                waking[i] = null;
                // An entry may be stale: the stream ended (a reset wakes it itself), or its object
                // went on to another connection of the loop (Http2StreamPool), whose list it joins.
                if (!ReferenceEquals(stream.Connection, this))
                {
                    continue;
                }
                stream.InOutputWaiters = false;
                if (stream.WaitingForOutput && !stream.Closed)
                {
                    stream.WaitingForOutput = false;
                    waking[count++] = stream;
                }
            }
            _outputWaiterCount = 0;
            // Streams that stop again meanwhile join the other list.
            (_outputWaiters, _outputWaking) = (_outputWaking, _outputWaiters);
        }
        for (var i = 0; i < count; i++)
        {
            var stream = waking[i]!;
            waking[i] = null;
            stream.Wake.Set();
        }
    }

    /// <summary>A pump stopped for pending output (under the guard): the writer wakes it once that drains.</summary>
    private void AddOutputWaiterLocked(Http2Stream stream)
    {
        stream.WaitingForOutput = true;
        if (stream.InOutputWaiters)
        {
            return;
        }
        stream.InOutputWaiters = true;
        if (_outputWaiterCount == _outputWaiters.Length)
        {
            // Grows to the connection's most streams that ever waited at once; both lists are the connection's for its life.
            Array.Resize(ref _outputWaiters, Math.Max(8, _outputWaiters.Length * 2));
        }
        _outputWaiters[_outputWaiterCount++] = stream;
    }

    /// <summary>GOAWAY with <paramref name="code"/> and the last stream we processed, once.</summary>
    private void GoAway(Http2ErrorCode code)
    {
        using (_guard.Enter())
        {
            // Once the close began (BeginClose) the writer's last batch may be out, and Finish gives
            // the pending buffer back to the shared pool: a GOAWAY the heartbeat's check decided on
            // before the close (idle, drain, a stall) and queues only now would write into an array
            // another user of the pool may already have. Nothing more goes out then anyway.
            if (_closeAfterWrite || (_goAwaySent && code == Http2ErrorCode.NoError))
            {
                return;
            }
            _goAwaySent = true;
            _goAwayLastStreamId = _highestStreamId;
            Http2FrameWriter.WriteGoAway(_pending, _highestStreamId, code, default);
            if (code != Http2ErrorCode.NoError)
            {
                _closing = true;
            }
        }
        SignalWriter();
    }

    /// <summary>A defense acted: counted, and the connection ends with GOAWAY(ENHANCE_YOUR_CALM).</summary>
    private Http2ErrorCode Calm(Http2DefenseKind kind)
    {
        _metrics.Defense(kind);
        _defense = kind;
        StrikeAddress();
        return Http2ErrorCode.EnhanceYourCalm;
    }

    /// <summary>
    /// The client broke the protocol or tripped a defense and the connection ends with that code:
    /// one line, so an operator can tell a misbehaving client from a network fault.
    /// </summary>
    private void LogConnectionError(Http2ErrorCode code) =>
        _gateway.Log.Info(_defense is { } kind
            ? $"HTTP/2 connection from {ClientAddressText} ended by the {Http2Metrics.KindName(kind)} defense (GOAWAY {code})"
            : $"HTTP/2 connection from {ClientAddressText} ended: GOAWAY {code}");

    /// <summary>The client's address for a log line (only when one is written).</summary>
    private string ClientAddressText => System.Text.Encoding.ASCII.GetString(_clientAddress);

    private void WriteControl(int streamId, Http2ErrorCode rst)
    {
        using (_guard.Enter())
        {
            Http2FrameWriter.WriteRstStream(_pending, streamId, rst);
        }
        SignalWriter();
    }

    /// <summary>The response head (or an interim 1xx) as HEADERS; hop-by-hop fields stay behind (RFC 9113 §8.2.2).</summary>
    internal void SendResponseHead(Http2Stream stream, ResponseHead head, bool endStream, bool informational)
    {
        var customTokens = head.HasCustomConnectionTokens();
        using (_guard.Enter())
        {
            if (!BeginHeadLocked(stream, head.StatusCode))
            {
                return;
            }
            foreach (ref readonly var field in head.Headers)
            {
                if (field.Known is KnownHeader.Connection or KnownHeader.KeepAlive or KnownHeader.ProxyConnection
                    or KnownHeader.TransferEncoding or KnownHeader.Upgrade or KnownHeader.Te)
                {
                    continue;
                }
                var name = head.Name(field);
                if (field.Known == KnownHeader.Other && customTokens && head.IsNamedByConnection(name))
                {
                    continue;
                }
                _encoder.Encode(_encoded, name, head.Value(field), name.Length == 10 && System.Text.Ascii.EqualsIgnoreCase(name, "set-cookie"u8));
            }
            QueueHeadLocked(stream, endStream, final: !informational);
        }
        AfterHead(stream, endStream);
    }

    /// <summary>Starts a head's block with its :status (under the guard); false when the stream was reset or closed meanwhile.</summary>
    private bool BeginHeadLocked(Http2Stream stream, int status)
    {
        if (stream.Reset || stream.Closed)
        {
            return false;
        }
        _encoded.Clear();
        _encoder.BeginBlock(_encoded);
        _encoder.EncodeStatus(_encoded, status);
        return true;
    }

    /// <summary>The block in _encoded as HEADERS (under the guard); a final head marks the stream's head sent.</summary>
    private void QueueHeadLocked(Http2Stream stream, bool endStream, bool final = true)
    {
        Http2FrameWriter.WriteHeaders(_pending, stream.Id, _encoded.WrittenSpan, endStream, _peer.MaxFrameSize);
        if (final)
        {
            stream.HeadSent = true;
        }
        if (endStream)
        {
            EndLocalLocked(stream);
        }
    }

    /// <summary>After the guard: the write loop takes the HEADERS, and a stream they ended is finished.</summary>
    private void AfterHead(Http2Stream stream, bool endStream)
    {
        SignalWriter();
        if (endStream)
        {
            AfterLocalEnd(stream);
        }
    }

    /// <summary>A response made here (431, 501, 400): HEADERS with END_STREAM and, for a body, one DATA.</summary>
    private void SendLocalResponse(Http2Stream stream, int status, ReadOnlySpan<byte> body)
    {
        using (_guard.Enter())
        {
            _encoded.Clear();
            _encoder.BeginBlock(_encoded);
            _encoder.EncodeStatus(_encoded, status);
            if (!body.IsEmpty)
            {
                _encoder.Encode(_encoded, "content-type"u8, "text/plain"u8);
            }
            Http2FrameWriter.WriteHeaders(_pending, stream.Id, _encoded.WrittenSpan, body.IsEmpty, _peer.MaxFrameSize);
            stream.HeadSent = true;
            if (!body.IsEmpty)
            {
                // Small enough for any window a client starts with.
                Http2FrameWriter.WriteData(_pending, stream.Id, body, true);
                stream.SendWindow -= body.Length;
                _connectionSendWindow -= body.Length;
            }
            EndLocalLocked(stream);
        }
        SignalWriter();
        AfterLocalEnd(stream);
    }

    /// <summary>
    /// Sends as much of <paramref name="data"/> as the windows and the peer's frame size allow; the
    /// stream waits (its wake is set on a WINDOW_UPDATE or when output drains) when that is 0.
    /// -1 when the stream is gone.
    /// </summary>
    internal int SendData(Http2Stream stream, ReadOnlySpan<byte> data, bool endStream)
    {
        var sent = 0;
        var ended = false;
        using (_guard.Enter())
        {
            if (stream.Reset || stream.Closed)
            {
                return -1;
            }
            while (sent < data.Length)
            {
                if (_pending.Length >= OutputHighWater)
                {
                    AddOutputWaiterLocked(stream);
                    break;
                }
                var window = Math.Min(stream.SendWindow, _connectionSendWindow);
                if (window <= 0)
                {
                    if (stream.StalledSince == 0)
                    {
                        stream.StalledSince = Stopwatch.GetTimestamp();
                    }
                    stream.StalledOnConnection = stream.SendWindow > 0;
                    if (stream.StalledOnConnection && _connectionStalledSince == 0)
                    {
                        _connectionStalledSince = stream.StalledSince;
                    }
                    break;
                }
                stream.StalledSince = 0;
                var n = Math.Min(Math.Min(window, _peer.MaxFrameSize), data.Length - sent);
                var last = endStream && sent + n == data.Length;
                Http2FrameWriter.WriteData(_pending, stream.Id, data.Slice(sent, n), last);
                _dataFramesSent++;
                stream.SendWindow -= n;
                _connectionSendWindow -= n;
                sent += n;
                if (last)
                {
                    EndLocalLocked(stream);
                    ended = true;
                }
            }
        }
        if (sent > 0)
        {
            SignalWriter();
        }
        if (ended)
        {
            AfterLocalEnd(stream);
        }
        return sent;
    }

    /// <summary>The response ended: trailers as a trailing HEADERS with END_STREAM, else an empty DATA with END_STREAM.</summary>
    internal void SendEnd(Http2Stream stream, ReadOnlySpan<byte> trailerLines)
    {
        using (_guard.Enter())
        {
            if (stream.Reset || stream.Closed)
            {
                return;
            }
            if (trailerLines.IsEmpty)
            {
                Http2FrameWriter.WriteData(_pending, stream.Id, default, true);
            }
            else
            {
                _encoded.Clear();
                _encoder.BeginBlock(_encoded);
                EncodeTrailerLines(trailerLines);
                Http2FrameWriter.WriteHeaders(_pending, stream.Id, _encoded.WrittenSpan, true, _peer.MaxFrameSize);
            }
            EndLocalLocked(stream);
        }
        SignalWriter();
        AfterLocalEnd(stream);
    }

    private void EncodeTrailerLines(ReadOnlySpan<byte> lines)
    {
        while (!lines.IsEmpty)
        {
            var lf = lines.IndexOf((byte)'\n');
            var line = lf < 0 ? lines : lines[..lf];
            lines = lf < 0 ? default : lines[(lf + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            _encoder.Encode(_encoded, name, value);
        }
    }

    /// <summary>Resets a stream from our side (a broken response, a stall, a stream error).</summary>
    internal void ResetStream(Http2Stream stream, Http2ErrorCode code) => ResetStream(stream, code, now: 0, stall: -1);

    /// <summary>
    /// Heartbeat: resets (CANCEL) a stream it found stalled past <paramref name="stall"/> ticks if it
    /// still is; since it was found, its window may have opened, or it may have ended. The caller
    /// holds the stream from when it found it in the table, so its object has begun no new stream.
    /// </summary>
    internal bool ResetStalledStream(Http2Stream stream, long now, long stall) => ResetStream(stream, Http2ErrorCode.Cancel, now, stall);

    private bool ResetStream(Http2Stream stream, Http2ErrorCode code, long now, long stall)
    {
        using (_guard.Enter())
        {
            if (stream.Closed || (stall >= 0 && (stream.StalledSince == 0 || now - stream.StalledSince <= stall)))
            {
                return false;
            }
            Http2FrameWriter.WriteRstStream(_pending, stream.Id, code);
            stream.Reset = true;
            // Held until the end: closing lets the table's hold go, and a caller that owns no part
            // of the stream (the heartbeat) must not see it reused before it is done with it.
            stream.Hold();
            RememberResetLocked(stream);
        }
        SignalWriter();
        AbortRequest(stream);
        stream.Wake.Set();
        CancelResponseRead(stream);
        stream.Release();
        return true;
    }

    private static void CancelResponseRead(Http2Stream stream)
    {
        try
        {
            stream.Bridge.ResponseReader.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void EndLocalLocked(Http2Stream stream)
    {
        stream.LocalEnded = true;
        if (stream.RemoteEnded)
        {
            CloseLocked(stream);
        }
    }

    /// <summary>
    /// After END_STREAM went out: a client still sending its request is asked to stop without
    /// error (RFC 9113 §8.1: RST_STREAM NO_ERROR after a complete response).
    /// </summary>
    private void AfterLocalEnd(Http2Stream stream)
    {
        bool reset;
        using (_guard.Enter())
        {
            reset = !stream.Closed;
            if (reset)
            {
                Http2FrameWriter.WriteRstStream(_pending, stream.Id, Http2ErrorCode.NoError);
                RememberResetLocked(stream);
            }
        }
        if (reset)
        {
            SignalWriter();
            if (stream.IsTunnel)
            {
                EndTunnelRequest(stream);
            }
            else
            {
                AbortRequest(stream);
            }
        }
    }

    /// <summary>The stream leaves the table (closed in both directions or reset); a drained connection may now end.</summary>
    private void CloseLocked(Http2Stream stream)
    {
        if (stream.Closed)
        {
            return;
        }
        stream.Closed = true;
        _streams.Remove(stream.Id);
        if (_streams.Count == 0)
        {
            _idleSince = Stopwatch.GetTimestamp();
        }
        // The table's hold on the stream ends (the pump and the worker may still hold it).
        stream.Release();
    }

    /// <summary>
    /// A stream we reset leaves the table, known as reset first: the read loop (on another thread
    /// off an event loop) that misses it in the table must find it reset, or the DATA the client
    /// still had in flight for it would end the connection with STREAM_CLOSED.
    /// </summary>
    private void RememberResetLocked(Http2Stream stream)
    {
        RememberReset(stream.Id);
        CloseLocked(stream);
    }

    private void RememberReset(int id) => _resetByUs.Add(id);

    private bool ResetByUs(int id) => _resetByUs.Contains(id);
}
