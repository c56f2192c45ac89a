using System.Diagnostics;
using FastGate.Core.Http2;
using FastGate.Core.Tls.OpenSsl;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Forwarding.Http2;

// Time: the idle timeout, zero-window stalls, a client that stops reading its socket, drain and
// a listener that left the config. The heartbeat thread only queues the check; the check runs on
// the connection's loop (where its streams and their exchanges live), or on the thread pool off
// the loops, as connection work must never run on the heartbeat thread.
public sealed partial class Http2Connection
{
    public void OnHeartbeat(long now)
    {
        QueueCheck();
        if (_loop is not null)
        {
            // The streams' exchanges keep their deadlines on the loop's timers.
            return;
        }
        // The streams' exchanges are not registered connections: off a loop their deadlines fire from here.
        Http2Stream[] streams;
        using (_guard.Enter())
        {
            if (_streams.Count == 0)
            {
                return;
            }
            streams = _streams.ToArray();
        }
        foreach (var stream in streams)
        {
            stream.Exchange?.OnHeartbeatOfHttp2Stream(now);
        }
    }

    /// <summary>Queues the check once: to the connection's loop, or to the thread pool off the loops.</summary>
    private void QueueCheck()
    {
        if (Interlocked.Exchange(ref _heartbeatQueued, 1) != 0)
        {
            return;
        }
        if (_loop is not null)
        {
            _loop.Post(this);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        Volatile.Write(ref _heartbeatQueued, 0);
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }
        try
        {
            Check(Stopwatch.GetTimestamp());
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"HTTP/2 connection from {ClientAddressText}: heartbeat failed: {ex}");
        }
    }

    private void Check(long now)
    {
        var stall = (long)(_settings.StallTimeout.TotalSeconds * Stopwatch.Frequency);
        var idle = (long)(_idleTimeout.TotalSeconds * Stopwatch.Frequency);
        var flushSince = Volatile.Read(ref _flushSince);
        if (flushSince != 0)
        {
            // A slow reader's flush may wait long while its bytes still move: only no progress at all counts.
            var sent = SentSoFar();
            if (sent != _sentAtCheck)
            {
                _sentAtCheck = sent;
                _sentMovedAt = now;
            }
            if (now - Math.Max(flushSince, _sentMovedAt) > stall)
            {
                // Checked before _closing: a GOAWAY that the client does not read holds a closing connection as well.
                CloseStalledSend();
                return;
            }
        }
        var goAway = _drainRequested || _gateway.Current.Listener(_listenerName) is null;
        List<Http2Stream>? stalled = null;
        var calm = false;
        var idleEnd = false;
        bool wake;
        using (_guard.Enter())
        {
            if (_closing)
            {
                return;
            }
            foreach (var stream in _streams)
            {
                if (stream.StalledSince != 0 && now - stream.StalledSince > stall)
                {
                    if (stream.StalledOnConnection)
                    {
                        calm = true;
                    }
                    else
                    {
                        // Held until its reset below is done: off a loop the stream may end meanwhile,
                        // and without an owner's hold its object could go back to the free streams and
                        // be half-way through the read loop's Open for a new stream when the reset
                        // looks at it (Closed already false, StalledSince still the old life's).
                        stream.Hold();
                        (stalled ??= []).Add(stream);
                    }
                }
            }
            if (_connectionStalledSince != 0 && now - _connectionStalledSince > stall && _connectionSendWindow <= 0)
            {
                calm = true;
            }
            idleEnd = _streams.Count == 0 && now - _idleSince > idle;
            TrimStreamPoolLocked(now);
            wake = (_goAwaySent || _clientGoAway) && _streams.Count == 0;
        }
        if (stalled is not null)
        {
            foreach (var stream in stalled)
            {
                // A client that keeps a stream's window at 0 holds its exchange and buffers for nothing.
                if (ResetStalledStream(stream, now, stall))
                {
                    _metrics.Defense(Http2DefenseKind.ZeroWindow);
                }
                stream.Release();
            }
        }
        if (calm)
        {
            _metrics.Defense(Http2DefenseKind.ZeroWindow);
            _defense = Http2DefenseKind.ZeroWindow;
            LogConnectionError(Http2ErrorCode.EnhanceYourCalm);
            GoAway(Http2ErrorCode.EnhanceYourCalm);
            WakeReader();
            return;
        }
        if (idleEnd || goAway)
        {
            // Drain, a listener gone, or nothing asked for idle_timeout: GOAWAY(NO_ERROR) with the
            // last stream we took; open streams finish, then the connection closes.
            GoAway(Http2ErrorCode.NoError);
            wake = _streams.Count == 0;
        }
        if (wake)
        {
            WakeReader();
        }
    }

    /// <summary>Bytes the layer under the writer took so far, read off the connection's thread; -1 when it cannot say.</summary>
    private long SentSoFar() => _transport switch
    {
        EpollConnection connection => connection.BytesSent,
        ISendProgress progress => progress.BytesDelivered,
        _ => -1,
    };

    /// <summary>
    /// The client's TCP took none of our bytes for stall_timeout, whatever its HTTP/2 windows say
    /// (a client that opens them wide and stops reading): the connection, its streams and their
    /// exchanges would be held for as long as it likes, and not even a GOAWAY would reach it. The
    /// transport is cut under the writer, whose flush then fails or is cancelled, and the
    /// connection ends as when the client goes away. Not a strike: a slow reader causes it too.
    /// </summary>
    private void CloseStalledSend()
    {
        if (Interlocked.Exchange(ref _sendStallClosed, 1) != 0)
        {
            return;
        }
        _metrics.Defense(Http2DefenseKind.SendStall);
        _gateway.Log.Info($"HTTP/2 connection from {ClientAddressText} ended by the {Http2Metrics.KindName(Http2DefenseKind.SendStall)} defense (closed: the client read nothing for {_settings.StallTimeout.TotalSeconds:0.###} s)");
        if (_loop is not null)
        {
            // The loop's connection closes on its loop (its sender is the loop's only), which faults
            // the pending flush and read; posted, as the check itself runs on the loop and the
            // writer and read loop it resumes must not run nested in it. Under TLS it is the socket
            // beneath that is cut: its pumps fail and so fault the TLS pipes, where disposing the
            // TLS transport would only complete them and leave its pump's flush to the grace.
            _loop.Post((_transport is OpenSslLoopTransport tls ? tls.Inner : _transport).Dispose);
        }
        else
        {
            // A pipe's flush may be cancelled from any thread; disposing here would race the writer.
            _output.CancelPendingFlush();
        }
        BeginClose();
        WakeReader();
    }

    /// <summary>Drain: GOAWAY(NO_ERROR) now; streams in flight finish, then the connection closes.</summary>
    public void CloseWhenIdle()
    {
        _drainRequested = true;
        QueueCheck();
    }

    /// <summary>
    /// Drain timed out: the streams' exchanges end their long-lived streams as an HTTP/1.1
    /// connection's would. Called off the connection's thread: on a loop the stream table is read
    /// there (it is the loop's only, <see cref="Http2Guard"/>).
    /// </summary>
    public void EndStreams()
    {
        if (_loop is not null && !_loop.IsCurrent)
        {
            _loop.Post(_endStreamsOnLoop ??= EndStreams);
            return;
        }
        Http2Stream[] streams;
        using (_guard.Enter())
        {
            streams = _streams.ToArray();
        }
        foreach (var stream in streams)
        {
            stream.Exchange?.EndStreamsOfHttp2Stream();
        }
    }

    // Made on the first drain's end only.
    private Action? _endStreamsOnLoop;
}
