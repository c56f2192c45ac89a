using System.Diagnostics;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// Passive health (outlier ejection), active health and slow start. Called from every event
/// loop at once, so the state is atomics only: counters by Interlocked, the ejection by a
/// compare-and-swap on its end time, and nothing here allocates.
/// </summary>
public sealed partial class EndpointState
{
    /// <summary>A slow-starting endpoint never gets less than this share, so it is tried at all.</summary>
    private const double SlowStartFloor = 0.1;

    /// <summary><see cref="_ejectedUntil"/> and <see cref="_down"/> of an endpoint that left the config.</summary>
    private const int Retired = -1;

    private int _consecutiveFailures;
    private int _consecutive5xx;
    /// <summary>When the current ejection ends (Stopwatch ticks); 0 when not ejected, <see cref="Retired"/> after retirement.</summary>
    private long _ejectedUntil;
    /// <summary>Ejections in a row, written only by the thread whose ejection won the swap.</summary>
    private int _ejectionsInRow;
    private long _lastEjectionEnd;
    private long _ejections;
    /// <summary>1 when active checks marked the endpoint down, 0 when up, <see cref="Retired"/> after retirement.</summary>
    private int _down;
    private int _checkPasses;
    private int _checkFailures;
    /// <summary>When the endpoint last came back into rotation (Stopwatch ticks), for slow start; 0 never.</summary>
    private long _recoveredAt;

    /// <summary>Ejections by passive health since the endpoint appeared.</summary>
    public long Ejections => Volatile.Read(ref _ejections);

    /// <summary>Marked down by active checks.</summary>
    public bool IsDown => Volatile.Read(ref _down) == 1;

    /// <summary>When the current ejection ends (Stopwatch ticks), or 0 when the endpoint is not ejected.</summary>
    public long EjectedUntil => Math.Max(Volatile.Read(ref _ejectedUntil), 0);

    /// <summary>
    /// True when the endpoint may take new requests: not ejected by passive health, not marked
    /// down by active checks. The cluster decides about panic; this is the endpoint's own view.
    /// An ejection ends here, lazily, the first time it is asked after its time: no timer needed.
    /// </summary>
    public bool IsAvailable(long now)
    {
        var until = Volatile.Read(ref _ejectedUntil);
        if (until > 0)
        {
            if (now < until)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _ejectedUntil, 0, until) == until)
            {
                Cluster.EjectionEnded();
                StartSlowStart(until, now);
            }
        }
        return Volatile.Read(ref _down) != 1;
    }

    /// <summary>An upstream response head arrived after <paramref name="latencyTicks"/> (Stopwatch ticks since the request was sent).</summary>
    public void OnResponse(int status, long latencyTicks) => OnResponse(status, latencyTicks, Stopwatch.GetTimestamp());

    /// <summary>
    /// A response head proves the endpoint reachable, so it ends a run of failures whatever its
    /// status; a 5xx extends the run of 5xx, anything else ends it. A 5xx may raise the latency
    /// estimate but not lower it: an endpoint failing fast must not attract traffic by it.
    /// </summary>
    public void OnResponse(int status, long latencyTicks, long now)
    {
        Latency.Observe(latencyTicks, now, peakOnly: status >= 500);
        ClearCount(ref _consecutiveFailures);
        if (status < 500)
        {
            ClearCount(ref _consecutive5xx);
            return;
        }
        var threshold = Cluster.Model.Outlier.Consecutive5xx;
        if (threshold > 0 && Interlocked.Increment(ref _consecutive5xx) >= threshold)
        {
            Eject(now);
        }
    }

    /// <summary>A connect to the endpoint failed (refused, timed out, unresolvable).</summary>
    public void OnConnectFailure() => CountFailure(Stopwatch.GetTimestamp());

    public void OnConnectFailure(long now) => CountFailure(now);

    /// <summary>The connection failed or timed out before a response head came.</summary>
    public void OnFailure() => CountFailure(Stopwatch.GetTimestamp());

    public void OnFailure(long now) => CountFailure(now);

    /// <summary>An active check's result.</summary>
    public void OnHealthCheck(bool passed) => OnHealthCheck(passed, Stopwatch.GetTimestamp());

    /// <summary>
    /// Counts an active check: healthy_threshold passes in a row bring a down endpoint back,
    /// unhealthy_threshold failures in a row take it down. An endpoint starts up (as if it had
    /// passed), so a start or a reload never black-holes a cluster while the first checks run;
    /// a dead endpoint is found by its first failed checks, and by passive health meanwhile.
    /// Active and passive health are separate verdicts: a passing check alone does not end an
    /// ejection, since an endpoint can answer its health path and still fail real requests. But
    /// when the checks themselves had taken the endpoint down and now bring it back, the ejection
    /// made while it was down is about the same outage and ends with it (a restarted endpoint
    /// returns after healthy_threshold checks, not after its back-off).
    /// </summary>
    public void OnHealthCheck(bool passed, long now)
    {
        var health = Cluster.Model.Health;
        if (passed)
        {
            ClearCount(ref _checkFailures);
            if (Interlocked.Increment(ref _checkPasses) >= (health?.HealthyThreshold ?? 1)
                && Interlocked.CompareExchange(ref _down, 0, 1) == 1)
            {
                EndEjection(now);
                Cluster.MarkedUp();
                StartSlowStart(now, now);
            }
            return;
        }
        ClearCount(ref _checkPasses);
        if (Interlocked.Increment(ref _checkFailures) >= (health?.UnhealthyThreshold ?? 1)
            && Interlocked.CompareExchange(ref _down, 1, 0) == 0)
        {
            Cluster.MarkedDown();
        }
    }

    /// <summary>
    /// The share of its normal traffic the endpoint should get at <paramref name="now"/>: 1, or
    /// during slow start a share growing linearly over the window (with a floor).
    /// </summary>
    internal double SlowStartShare(long now)
    {
        var since = Volatile.Read(ref _recoveredAt);
        if (since == 0)
        {
            return 1;
        }
        var window = Ticks(Cluster.Model.SlowStart);
        var elapsed = now - since;
        if (window <= 0 || elapsed >= window)
        {
            return 1;
        }
        return Math.Max((double)elapsed / window, SlowStartFloor);
    }

    private void CountFailure(long now)
    {
        var threshold = Cluster.Model.Outlier.ConsecutiveFailures;
        if (threshold > 0 && Interlocked.Increment(ref _consecutiveFailures) >= threshold)
        {
            Eject(now);
        }
    }

    /// <summary>
    /// Ejects the endpoint for base_ejection_time × 2^(ejections in a row − 1), at most
    /// max_ejection_time. The run of ejections decays as Envoy's multiplier does: each
    /// base_ejection_time the endpoint stays in rotation after its last ejection ended takes one
    /// off, so an endpoint that fails once a day is not punished for last week. Counted lazily,
    /// when the next ejection comes. Both failure runs start over, whether the ejection happens or
    /// max_ejection_percent refuses it.
    /// </summary>
    private void Eject(long now)
    {
        Volatile.Write(ref _consecutiveFailures, 0);
        Volatile.Write(ref _consecutive5xx, 0);
        // An ejection whose time is up but that nobody has looked at yet ends here first.
        IsAvailable(now);
        if (Volatile.Read(ref _ejectedUntil) != 0)
        {
            return;
        }
        var cluster = Cluster;
        if (!cluster.TryReserveEjection(now))
        {
            return;
        }
        var outlier = cluster.Model.Outlier;
        var baseTicks = Ticks(outlier.BaseEjectionTime);
        var maxTicks = Ticks(outlier.MaxEjectionTime);
        var inRow = _ejectionsInRow;
        if (inRow > 0 && baseTicks > 0 && now > _lastEjectionEnd)
        {
            var healthySpans = (now - _lastEjectionEnd) / baseTicks;
            inRow = healthySpans >= inRow ? 0 : inRow - (int)healthySpans;
        }
        inRow++;
        var length = baseTicks;
        for (var i = 1; i < inRow && length < maxTicks; i++)
        {
            length *= 2;
        }
        var until = now + Math.Max(Math.Min(length, maxTicks), 1);
        if (Interlocked.CompareExchange(ref _ejectedUntil, until, 0) != 0)
        {
            // Another thread ejected it first, or it was retired meanwhile.
            cluster.EjectionEnded();
            return;
        }
        _ejectionsInRow = inRow;
        _lastEjectionEnd = until;
        Interlocked.Increment(ref _ejections);
    }

    /// <summary>Ends the current ejection before its time.</summary>
    private void EndEjection(long now)
    {
        var until = Volatile.Read(ref _ejectedUntil);
        if (until > 0 && Interlocked.CompareExchange(ref _ejectedUntil, 0, until) == until)
        {
            _lastEjectionEnd = now;
            Cluster.EjectionEnded();
        }
    }

    private void StartSlowStart(long at, long now)
    {
        var window = Ticks(Cluster.Model.SlowStart);
        if (window <= 0 || at + window <= now)
        {
            return;
        }
        Volatile.Write(ref _recoveredAt, at);
        Cluster.Recovering(at + window);
    }

    /// <summary>The endpoint left the config: it stops counting as ejected or down in its cluster.</summary>
    private void RetireHealth()
    {
        if (Interlocked.Exchange(ref _ejectedUntil, Retired) > 0)
        {
            Cluster.EjectionEnded();
        }
        if (Interlocked.Exchange(ref _down, Retired) == 1)
        {
            Cluster.MarkedUp();
        }
    }

    /// <summary>Writes 0 only when needed, so a healthy endpoint's responses do not bounce the cache line between loops.</summary>
    private static void ClearCount(ref int count)
    {
        if (Volatile.Read(ref count) != 0)
        {
            Volatile.Write(ref count, 0);
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
