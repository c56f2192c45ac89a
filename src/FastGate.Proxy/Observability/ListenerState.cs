using System.Diagnostics;

namespace FastGate.Proxy.Observability;

/// <summary>Counters of one listener by name; outlives reloads like <see cref="RouteState"/>.</summary>
public sealed class ListenerState(string name)
{
    private long _capacityPauses;
    // At most one warning per listener every 10 s, so a flood of clients cannot flood the log.
    private readonly WarningRateLimit _capacityWarnings = new(Stopwatch.Frequency * 10);

    public string Name { get; } = name;

    /// <summary>Times accepting paused at max_connections.</summary>
    public long CapacityPauses => Interlocked.Read(ref _capacityPauses);

    /// <summary>Counts a pause; true when a log line is due.</summary>
    public bool OnCapacityReached(long now)
    {
        Interlocked.Increment(ref _capacityPauses);
        return _capacityWarnings.TryAcquire(now, out _);
    }
}
