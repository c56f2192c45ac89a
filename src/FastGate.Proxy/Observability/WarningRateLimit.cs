namespace FastGate.Proxy.Observability;

/// <summary>
/// At most one log line per interval for one kind of trouble, counting the lines held back: a
/// failure that repeats under load (a dead endpoint, a listener at its cap) must not flood the
/// journal. Thread-safe; only reached when something went wrong, so a lock is cheap enough.
/// </summary>
public sealed class WarningRateLimit(long intervalTicks)
{
    private readonly Lock _lock = new();
    private long _next = long.MinValue;
    private int _suppressed;

    /// <summary>
    /// True when a line is due at <paramref name="now"/> (a timestamp in the ticks of the
    /// interval), with the lines held back since the last one; false when this one is held back.
    /// </summary>
    public bool TryAcquire(long now, out int suppressed)
    {
        lock (_lock)
        {
            if (now < _next)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }
            _next = now + intervalTicks;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
