using System.Diagnostics;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// Judges whether a client keeps a minimum data rate (min_request_body_rate, min_response_rate),
/// Kestrel's MinDataRate with windows: time counts only while the monitor runs (the proxy is
/// waiting on the client), bytes are added as they move, and each time the counted time fills a
/// window, that window must have moved at least rate × window bytes. The first window is also the
/// grace a transfer gets to start. Bytes beyond a window's due are not carried into the next one:
/// a burst does not buy a long silence. A plain struct kept in the connection's worker: no
/// allocation, and the caller's one loop is the only thread that touches it.
/// </summary>
internal struct DataRateMonitor
{
    private long _windowTicks;
    private long _due;
    private long _elapsed;
    private long _bytes;
    // Stopwatch timestamp the running stretch began at; 0 while paused.
    private long _since;

    /// <summary>A minimum is set (a rate and a window above zero).</summary>
    public readonly bool Enabled => _due > 0;

    /// <summary>Counting time now.</summary>
    public readonly bool Running => _since != 0;

    /// <summary>Bytes a full window must move.</summary>
    public readonly long Due => _due;

    /// <summary>Starts a new transfer, paused; a <paramref name="bytesPerSecond"/> of 0 turns the judgement off.</summary>
    public void Start(long bytesPerSecond, TimeSpan window)
    {
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
        _due = bytesPerSecond > 0 && _windowTicks > 0 ? Math.Max(1, (long)(bytesPerSecond * window.TotalSeconds)) : 0;
        _elapsed = 0;
        _bytes = 0;
        _since = 0;
    }

    /// <summary>No judgement until the next <see cref="Start"/>.</summary>
    public void Stop()
    {
        _due = 0;
        _since = 0;
    }

    /// <summary>The proxy waits on the client from <paramref name="now"/>: time counts.</summary>
    public void Resume(long now)
    {
        if (_since == 0)
        {
            // 0 means paused; a timestamp of exactly 0 is taken as 1 tick later.
            _since = now == 0 ? 1 : now;
        }
    }

    /// <summary>The proxy waits on something else from <paramref name="now"/> (the upstream): time stops.</summary>
    public void Pause(long now)
    {
        if (_since != 0)
        {
            _elapsed += Math.Max(0, now - _since);
            _since = 0;
        }
    }

    public void Add(long bytes) => _bytes += bytes;

    /// <summary>
    /// Judges every window that has filled by <paramref name="now"/>: false when one moved less
    /// than its due (the client is too slow). The windows judged are dropped.
    /// </summary>
    public bool Check(long now)
    {
        if (_due == 0)
        {
            return true;
        }
        if (_since != 0)
        {
            _elapsed += Math.Max(0, now - _since);
            _since = now == 0 ? 1 : now;
        }
        while (_elapsed >= _windowTicks)
        {
            if (_bytes < _due)
            {
                return false;
            }
            // A window's bytes all count for it; the next one starts empty.
            _bytes = 0;
            _elapsed -= _windowTicks;
        }
        return true;
    }

    /// <summary>
    /// While running, the timestamp at which the client is too slow if nothing more moves: the end
    /// of this window, or of the next one when this one has had its due already. A deadline armed
    /// there fires only for a client that is really too slow. long.MaxValue when disabled.
    /// </summary>
    public readonly long SlowAt(long now)
    {
        if (_due == 0)
        {
            return long.MaxValue;
        }
        var elapsed = _elapsed + (_since != 0 ? Math.Max(0, now - _since) : 0);
        var left = Math.Max(0, _windowTicks - elapsed);
        return now + (_bytes >= _due ? left + _windowTicks : left);
    }

    /// <summary>While running, the timestamp at which the current window fills (a check point, not a verdict).</summary>
    public readonly long WindowEndsAt(long now)
    {
        var elapsed = _elapsed + (_since != 0 ? Math.Max(0, now - _since) : 0);
        return now + Math.Max(0, _windowTicks - elapsed);
    }
}
