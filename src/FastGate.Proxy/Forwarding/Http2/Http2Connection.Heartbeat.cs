using System.Diagnostics;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Forwarding.Http2;

// Time: the idle timeout, zero-window stalls, drain and a listener that left the config. The
// heartbeat thread only queues the check; the check runs on the thread pool, as connection work
// must never run on the heartbeat thread.
public sealed partial class Http2Connection
{
    public void OnHeartbeat(long now)
    {
        if (Interlocked.Exchange(ref _heartbeatQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        // The streams' exchanges are not registered connections: their deadlines fire from here.
        Http2Stream[] streams;
        lock (_lock)
        {
            if (_streams.Count == 0)
            {
                return;
            }
            streams = [.. _streams.Values];
        }
        foreach (var stream in streams)
        {
            stream.Exchange?.OnHeartbeatOfHttp2Stream(now);
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
            _gateway.Log.Error($"HTTP/2 connection from {System.Text.Encoding.ASCII.GetString(_clientAddress)}: heartbeat failed: {ex}");
        }
    }

    private void Check(long now)
    {
        var stall = (long)(_settings.StallTimeout.TotalSeconds * Stopwatch.Frequency);
        var idle = (long)(_idleTimeout.TotalSeconds * Stopwatch.Frequency);
        var goAway = _drainRequested || _gateway.Current.Listener(_listenerName) is null;
        List<Http2Stream>? stalled = null;
        var calm = false;
        var idleEnd = false;
        bool wake;
        lock (_lock)
        {
            if (_closing)
            {
                return;
            }
            foreach (var stream in _streams.Values)
            {
                if (stream.StalledSince != 0 && now - stream.StalledSince > stall)
                {
                    if (stream.StalledOnConnection)
                    {
                        calm = true;
                    }
                    else
                    {
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
            }
        }
        if (calm)
        {
            _metrics.Defense(Http2DefenseKind.ZeroWindow);
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

    /// <summary>Drain: GOAWAY(NO_ERROR) now; streams in flight finish, then the connection closes.</summary>
    public void CloseWhenIdle()
    {
        _drainRequested = true;
        if (Interlocked.Exchange(ref _heartbeatQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Drain timed out: the streams' exchanges end their long-lived streams as an HTTP/1.1 connection's would.</summary>
    public void EndStreams()
    {
        Http2Stream[] streams;
        lock (_lock)
        {
            streams = [.. _streams.Values];
        }
        foreach (var stream in streams)
        {
            stream.Exchange?.EndStreamsOfHttp2Stream();
        }
    }
}
