using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// Rate and concurrency counters in this process, keyed by (limit id, 64-bit key hash). Owned by
/// <see cref="StageServices"/>, so counters outlive reloads; a limit that changed has a new id and
/// starts fresh, and the old one's cells are swept.
/// <para>
/// A decision on a key seen before looks up its cell and does one compare-and-swap: nothing is
/// allocated (a new key allocates its cell once). Cells whose limit is fully earned back and that
/// hold no slot carry no information and are swept off the request path (on the thread pool, at
/// most once per <c>sweepInterval</c>, started by a decision), so memory follows the keys active
/// within about one period. Past <c>maxKeys</c> cells, new keys of a limit share one overflow
/// cell until a sweep makes room: a flood of distinct keys is limited together instead of
/// growing the table.
/// </para>
/// Thread-safe.
/// </summary>
public sealed class LocalRateLimitStore : IThreadPoolWorkItem
{
    /// <summary>The key hash that the keys refused a cell of their own share.</summary>
    internal const ulong OverflowKey = 0;

    private readonly ConcurrentDictionary<RateLimitCellKey, RateLimitCell> _cells = new();
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly double _nsPerTimestamp;
    private readonly int _maxKeys;
    private readonly long _sweepIntervalNs;
    private long _nextSweepNs;
    private int _count;
    private int _sweeping;

    public LocalRateLimitStore(TimeProvider? time = null, int maxKeys = 1_000_000, TimeSpan? sweepInterval = null)
    {
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
        _nsPerTimestamp = 1e9 / _time.TimestampFrequency;
        _maxKeys = maxKeys;
        _sweepIntervalNs = (sweepInterval ?? TimeSpan.FromSeconds(10)).Ticks * 100;
        _nextSweepNs = _sweepIntervalNs;
    }

    /// <summary>Cells in the table now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Sweeps finished (for tests and the curious).</summary>
    public long Sweeps { get; private set; }

    /// <summary>Nanoseconds since the store was made: the local clock every TAT is on.</summary>
    public long NowNs => (long)((_time.GetTimestamp() - _origin) * _nsPerTimestamp);

    /// <summary>Admits <paramref name="amount"/> units for the key, or refuses them and changes nothing.</summary>
    public RateLimitDecision TryAcquire(RateLimitPolicy policy, ulong keyHash, long amount = 1)
    {
        var now = NowNs;
        MaybeSweep(now);
        while (true)
        {
            var cell = Cell(policy.Id, keyHash);
            var tat = Volatile.Read(ref cell.Tat);
            if (tat == RateLimitCell.Dead)
            {
                continue;
            }
            var decision = Gcra.Decide(policy, tat, now, amount, out var newTat);
            if (!decision.Allowed || Interlocked.CompareExchange(ref cell.Tat, newTat, tat) == tat)
            {
                return decision;
            }
        }
    }

    /// <summary>Charges (positive) or refunds (negative) <paramref name="delta"/> units without a check: the reconcile step of a reservation.</summary>
    public void Adjust(RateLimitPolicy policy, ulong keyHash, long delta)
    {
        var now = NowNs;
        while (true)
        {
            var cell = Cell(policy.Id, keyHash);
            var tat = Volatile.Read(ref cell.Tat);
            if (tat != RateLimitCell.Dead && Interlocked.CompareExchange(ref cell.Tat, Gcra.Adjust(policy, tat, now, delta), tat) == tat)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Takes one of the <paramref name="max"/> in-flight slots of the key. On success the caller holds
    /// <paramref name="cell"/> and must give the slot back with <see cref="Exit"/> exactly once.
    /// </summary>
    public bool TryEnter(ulong limitId, int max, ulong keyHash, out RateLimitCell cell)
    {
        MaybeSweep(NowNs);
        while (true)
        {
            cell = Cell(limitId, keyHash);
            var inFlight = Volatile.Read(ref cell.InFlight);
            if (inFlight >= max)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref cell.InFlight, inFlight + 1, inFlight) != inFlight)
            {
                continue;
            }
            if (Volatile.Read(ref cell.Tat) != RateLimitCell.Dead)
            {
                return true;
            }
            // The sweep retired the cell under us: not admitted there, try the live one.
            Interlocked.Decrement(ref cell.InFlight);
        }
    }

    /// <summary>Gives back a slot taken with <see cref="TryEnter"/>.</summary>
    public static void Exit(RateLimitCell cell) => Interlocked.Decrement(ref cell.InFlight);

    private RateLimitCell Cell(ulong limitId, ulong keyHash) =>
        _cells.TryGetValue(new RateLimitCellKey(limitId, keyHash), out var cell) ? cell : AddCell(limitId, keyHash);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private RateLimitCell AddCell(ulong limitId, ulong keyHash)
    {
        var key = new RateLimitCellKey(limitId, keyHash);
        if (Volatile.Read(ref _count) >= _maxKeys)
        {
            RequestSweep();
            key = new RateLimitCellKey(limitId, OverflowKey);
        }
        while (true)
        {
            if (_cells.TryGetValue(key, out var existing))
            {
                return existing;
            }
            var cell = new RateLimitCell();
            if (_cells.TryAdd(key, cell))
            {
                Interlocked.Increment(ref _count);
                return cell;
            }
        }
    }

    private void MaybeSweep(long now)
    {
        var next = Volatile.Read(ref _nextSweepNs);
        if (now >= next && Interlocked.CompareExchange(ref _nextSweepNs, now + _sweepIntervalNs, next) == next)
        {
            RequestSweep();
        }
    }

    private void RequestSweep()
    {
        if (Interlocked.CompareExchange(ref _sweeping, 1, 0) == 0)
        {
            // The store is the work item: queuing it allocates nothing.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        try
        {
            Sweep();
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>
    /// Retires every cell whose TAT is behind now (its limit fully earned back) and that holds no
    /// slot. Retiring is a compare-and-swap of the TAT to <see cref="RateLimitCell.Dead"/>, so a
    /// decision racing the sweep either lands before it (and the cell stays) or sees the mark and
    /// uses a new cell: no admission is lost. Returns the cells removed.
    /// </summary>
    internal int Sweep()
    {
        var now = NowNs;
        var removed = 0;
        foreach (var (key, cell) in _cells)
        {
            var tat = Volatile.Read(ref cell.Tat);
            if (tat > now || tat == RateLimitCell.Dead || Volatile.Read(ref cell.InFlight) != 0)
            {
                continue;
            }
            if (Interlocked.CompareExchange(ref cell.Tat, RateLimitCell.Dead, tat) != tat)
            {
                continue;
            }
            if (Volatile.Read(ref cell.InFlight) != 0)
            {
                // A slot was taken between the two reads: the cell stays.
                Volatile.Write(ref cell.Tat, tat);
                continue;
            }
            if (_cells.TryRemove(new KeyValuePair<RateLimitCellKey, RateLimitCell>(key, cell)))
            {
                Interlocked.Decrement(ref _count);
                removed++;
            }
        }
        Sweeps++;
        return removed;
    }
}
