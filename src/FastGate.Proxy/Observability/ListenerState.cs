using System.Diagnostics;

namespace FastGate.Proxy.Observability;

/// <summary>Counters of one listener by name; outlives reloads like <see cref="RouteState"/>.</summary>
public sealed class ListenerState(string name)
{
    private static readonly long WarningIntervalTicks = Stopwatch.Frequency * 10;

    private long _capacityPauses;
    private long _lastWarning = long.MinValue;

    public string Name { get; } = name;

    /// <summary>Times accepting paused at max_connections.</summary>
    public long CapacityPauses => Interlocked.Read(ref _capacityPauses);

    /// <summary>Counts a pause; true when a log line is due (at most one per listener every 10 s, so a flood cannot flood the log).</summary>
    public bool OnCapacityReached(long now)
    {
        Interlocked.Increment(ref _capacityPauses);
        var last = Interlocked.Read(ref _lastWarning);
        return (last == long.MinValue || now - last >= WarningIntervalTicks) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last;
    }
}
