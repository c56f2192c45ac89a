using System.Diagnostics;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Strikes per client address against the HTTP/2 front's defenses. Each connection a defense
/// ends with GOAWAY(ENHANCE_YOUR_CALM) gives its address a strike; past
/// <c>max_defense_strikes_per_address</c> strikes within <c>defense_strike_window</c> (counted
/// from the first), the address's new HTTP/2 connections are refused right after our SETTINGS
/// for the rest of the window, before any of their bytes is decoded. The per-connection defenses
/// alone let an attacker that reconnects cost a full connection's worth of CPU each time
/// (bench/results/2026-12-03-1130-h2-flood.md: a good client kept 0.81 of its rate under rapid
/// reset, 0.45 under an HPACK bomb).
/// <para>
/// Memory is fixed: <see cref="Capacity"/> entries, 4-way set-associative on a 64-bit hash of the
/// address bytes; a new address takes an empty or expired way of its set, else the one least
/// lately struck (so a flood of addresses evicts, never grows). Nothing is allocated per call.
/// Thread-safe: each set is guarded by one of 64 striped locks; an empty table answers lookups
/// without a lock.
/// </para>
/// </summary>
public sealed class Http2AddressStrikes
{
    private const int Ways = 4;
    private const int LockStripes = 64;

    /// <summary>The table every HTTP/2 listener of the process shares (an address is one client whatever port it reached).</summary>
    public static Http2AddressStrikes Shared { get; } = new(4096);

    private readonly Entry[] _entries;
    private readonly object[] _locks;
    private readonly int _sets;
    private int _used;

    public Http2AddressStrikes(int capacity)
    {
        _sets = Math.Max(1, capacity / Ways);
        _entries = new Entry[_sets * Ways];
        _locks = new object[LockStripes];
        for (var i = 0; i < _locks.Length; i++)
        {
            _locks[i] = new object();
        }
    }

    /// <summary>Entries the table holds at most.</summary>
    public int Capacity => _entries.Length;

    private struct Entry
    {
        public ulong Key;
        public int Strikes;
        public long WindowStart;
        public long LastStrike;
    }

    /// <summary>
    /// Gives <paramref name="address"/> a strike at <paramref name="now"/> (Stopwatch ticks); true
    /// when it is now past <paramref name="maxStrikes"/> within the window and so blocked.
    /// </summary>
    public bool Strike(ReadOnlySpan<byte> address, long now, int maxStrikes, long windowTicks)
    {
        var key = KeyOf(address);
        var set = SetOf(key);
        lock (_locks[set % LockStripes])
        {
            ref var entry = ref Find(set, key, now, windowTicks, out var found);
            if (!found)
            {
                if (entry.Key == 0)
                {
                    Interlocked.Increment(ref _used);
                }
                entry.Key = key;
                entry.Strikes = 0;
                entry.WindowStart = now;
            }
            if (now - entry.WindowStart >= windowTicks)
            {
                entry.Strikes = 0;
                entry.WindowStart = now;
            }
            entry.Strikes++;
            entry.LastStrike = now;
            return entry.Strikes > maxStrikes;
        }
    }

    /// <summary>The address is past <paramref name="maxStrikes"/> strikes in a window that has not ended at <paramref name="now"/>.</summary>
    public bool IsBlocked(ReadOnlySpan<byte> address, long now, int maxStrikes, long windowTicks)
    {
        if (Volatile.Read(ref _used) == 0)
        {
            return false;
        }
        var key = KeyOf(address);
        var set = SetOf(key);
        lock (_locks[set % LockStripes])
        {
            var start = set * Ways;
            for (var i = start; i < start + Ways; i++)
            {
                ref var entry = ref _entries[i];
                if (entry.Key == key)
                {
                    return entry.Strikes > maxStrikes && now - entry.WindowStart < windowTicks;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Under the set's lock: the entry of <paramref name="key"/>, or the way it should take (an
    /// empty one, else one whose window ended, else the one least lately struck).
    /// </summary>
    private ref Entry Find(int set, ulong key, long now, long windowTicks, out bool found)
    {
        var start = set * Ways;
        var victim = start;
        var victimRank = long.MaxValue;
        for (var i = start; i < start + Ways; i++)
        {
            ref var entry = ref _entries[i];
            if (entry.Key == key)
            {
                found = true;
                return ref entry;
            }
            // Lower is a better victim: empty, then expired, then the least lately struck.
            var rank = entry.Key == 0 ? long.MinValue
                : now - entry.WindowStart >= windowTicks ? long.MinValue + 1
                : entry.LastStrike;
            if (rank < victimRank)
            {
                victimRank = rank;
                victim = i;
            }
        }
        found = false;
        return ref _entries[victim];
    }

    private int SetOf(ulong key) => (int)(key % (ulong)_sets);

    /// <summary>FNV-1a over the address bytes, never 0 (0 marks an empty way).</summary>
    private static ulong KeyOf(ReadOnlySpan<byte> address)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in address)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        // Mixes the high bits down so the set index uses all of them.
        hash ^= hash >> 29;
        return hash == 0 ? 1 : hash;
    }

    /// <summary>A duration as Stopwatch ticks.</summary>
    public static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);
}
