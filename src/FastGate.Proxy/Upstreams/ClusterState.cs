using System.Diagnostics;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// What a cluster counts across snapshots: requests in flight, requests waiting for a new
/// connection, open connections, retries in flight, endpoints out of rotation, and the counters
/// behind the circuit and retry metrics. Kept by name in <see cref="EndpointRegistry"/>, so a
/// reload keeps it for a cluster that stays. Thread-safe: every counter is an atomic, and the
/// caps count first and check after, so under contention a refusal may come a request early but
/// what they count never passes the cap.
/// </summary>
public sealed class ClusterState
{
    /// <summary>How often a degraded cluster walks its endpoints to notice ejections that ended unseen.</summary>
    private static readonly long SweepTicks = Stopwatch.Frequency;

    private long _activeRequests;
    private int _pending;
    private int _connections;
    private int _retriesInFlight;
    private long _retries;
    private long _budgetExhausted;
    private long _panics;
    private long _refusedConnections;
    private long _refusedPending;
    private long _refusedRequests;

    // Endpoints out of rotation, so that an all-healthy pick is one look at these two.
    private int _ejected;
    private int _down;
    /// <summary>When the last slow start in progress ends (Stopwatch ticks); 0 when none is.</summary>
    private long _recoveringUntil;
    private long _nextSweep;
    private uint _scan = uint.MaxValue;

    private EndpointState[] _endpoints = [];

    public ClusterState(string name)
    {
        Name = name;
        Model = new ClusterModel { Name = name, Endpoints = [] };
    }

    public string Name { get; }

    /// <summary>Set when a reload commits: the caps, budget, outlier and health settings in force.</summary>
    public ClusterModel Model { get; set; }

    /// <summary>Upstream TLS: the client for the settings in force and its handshake counters.</summary>
    public UpstreamTlsState Tls { get; } = new();

    /// <summary>The cluster's live endpoints (each once), set when a reload commits.</summary>
    internal ReadOnlySpan<EndpointState> Endpoints => Volatile.Read(ref _endpoints);

    /// <summary>Requests in flight to the cluster, counted by <see cref="TryStartRequest"/>.</summary>
    public long ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>Requests waiting for a new connection to open.</summary>
    public int PendingConnects => Volatile.Read(ref _pending);

    /// <summary>Upstream connections open to the cluster's endpoints, idle ones included.</summary>
    public int OpenConnections => Volatile.Read(ref _connections);

    public int RetriesInFlight => Volatile.Read(ref _retriesInFlight);

    /// <summary>Retries the budget allowed.</summary>
    public long Retries => Volatile.Read(ref _retries);

    /// <summary>Retries the budget refused.</summary>
    public long BudgetExhausted => Volatile.Read(ref _budgetExhausted);

    /// <summary>Picks made in panic mode: too few endpoints available, so all took traffic.</summary>
    public long PanicPicks => Volatile.Read(ref _panics);

    /// <summary>Endpoints ejected by passive health now (an ejection that ended unseen may still count).</summary>
    public int EjectedEndpoints => Volatile.Read(ref _ejected);

    /// <summary>Endpoints marked down by active checks now.</summary>
    public int DownEndpoints => Volatile.Read(ref _down);

    /// <summary>Requests refused by <paramref name="cap"/> since the cluster appeared.</summary>
    public long CircuitRefusals(CircuitCap cap) => cap switch
    {
        CircuitCap.MaxConnections => Volatile.Read(ref _refusedConnections),
        CircuitCap.MaxPending => Volatile.Read(ref _refusedPending),
        CircuitCap.MaxRequests => Volatile.Read(ref _refusedRequests),
        _ => 0,
    };

    /// <summary>Counts a request in, or names the cap that refuses it (nothing is counted then).</summary>
    public CircuitCap TryStartRequest()
    {
        var max = Model.Circuit.MaxRequests;
        var active = Interlocked.Increment(ref _activeRequests);
        if (max > 0 && active > max)
        {
            Interlocked.Decrement(ref _activeRequests);
            Interlocked.Increment(ref _refusedRequests);
            return CircuitCap.MaxRequests;
        }
        return CircuitCap.None;
    }

    public void EndRequest() => Interlocked.Decrement(ref _activeRequests);

    /// <summary>
    /// Counts a request that waits for a new connection, or names the cap that refuses it. A
    /// connect in progress counts against max_connections too, so a burst of connects cannot all
    /// pass the check before any of them has opened.
    /// </summary>
    public CircuitCap TryStartConnect()
    {
        var circuit = Model.Circuit;
        var pending = Interlocked.Increment(ref _pending);
        if (circuit.MaxPending > 0 && pending > circuit.MaxPending)
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _refusedPending);
            return CircuitCap.MaxPending;
        }
        if (circuit.MaxConnections > 0 && Volatile.Read(ref _connections) + pending > circuit.MaxConnections)
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _refusedConnections);
            return CircuitCap.MaxConnections;
        }
        return CircuitCap.None;
    }

    public void EndConnect() => Interlocked.Decrement(ref _pending);

    internal void ConnectionOpened() => Interlocked.Increment(ref _connections);

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    /// <summary>
    /// Takes a retry from the budget; false (and counted) when the budget is spent. Retries in
    /// flight stay within budget_percent of the active requests, or budget_min, whichever is more
    /// (Envoy's retry budget; Finagle's RetryBudget has the same floor), so retries cannot
    /// multiply the load on a cluster that is already failing.
    /// </summary>
    public bool TryStartRetry()
    {
        var retry = Model.Retry;
        var allowed = Math.Max(retry.BudgetMinimum, Volatile.Read(ref _activeRequests) * retry.BudgetPercent / 100);
        var inFlight = Interlocked.Increment(ref _retriesInFlight);
        if (inFlight > allowed)
        {
            Interlocked.Decrement(ref _retriesInFlight);
            Interlocked.Increment(ref _budgetExhausted);
            return false;
        }
        Interlocked.Increment(ref _retries);
        return true;
    }

    public void EndRetry() => Interlocked.Decrement(ref _retriesInFlight);

    /// <summary>True when every endpoint is in rotation at full share: a pick needs no clock and no second look.</summary>
    internal bool AllAvailable => (Volatile.Read(ref _ejected) | Volatile.Read(ref _down)) == 0 && Volatile.Read(ref _recoveringUntil) == 0;

    internal void PanicPick() => Interlocked.Increment(ref _panics);

    /// <summary>A rotating start for scans over the endpoints, so a fallback does not always land on the first.</summary>
    internal int NextScanStart(int count) => (int)(Interlocked.Increment(ref _scan) % (uint)count);

    /// <summary>The live endpoints, each once; the count that max_ejection_percent is a share of.</summary>
    internal void SetEndpoints(EndpointState[] endpoints)
    {
        var distinct = endpoints.Distinct().ToArray();
        Volatile.Write(ref _endpoints, distinct);
    }

    /// <summary>
    /// Reserves a place among the ejected: at most max_ejection_percent of the endpoints, but one
    /// may always be (as Envoy does, so a two-endpoint cluster can still eject its bad half).
    /// Unlike Envoy, the share after the ejection is what is checked, so 50% of three is one.
    /// </summary>
    internal bool TryReserveEjection(long now)
    {
        if (TryReserveEjection())
        {
            return true;
        }
        // The count may still hold ejections that ended unseen; look once before refusing.
        Sweep(now);
        return TryReserveEjection();
    }

    private bool TryReserveEjection()
    {
        var total = Math.Max(Endpoints.Length, 1);
        var maxPercent = Model.Outlier.MaxEjectionPercent;
        while (true)
        {
            var ejected = Volatile.Read(ref _ejected);
            if (ejected > 0 && (ejected + 1) * 100L > (long)maxPercent * total)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _ejected, ejected + 1, ejected) == ejected)
            {
                return true;
            }
        }
    }

    internal void EjectionEnded() => Interlocked.Decrement(ref _ejected);

    internal void MarkedDown() => Interlocked.Increment(ref _down);

    internal void MarkedUp() => Interlocked.Decrement(ref _down);

    /// <summary>An endpoint entered slow start until <paramref name="until"/>: picks look at shares until then.</summary>
    internal void Recovering(long until)
    {
        while (true)
        {
            var current = Volatile.Read(ref _recoveringUntil);
            if (current >= until || Interlocked.CompareExchange(ref _recoveringUntil, until, current) == current)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Housekeeping a degraded pick does with the clock in hand: ends the slow-start window once
    /// it is past, and about once a second walks the endpoints so an ejection that ended without
    /// a pick landing on it (a hash no client maps to) stops counting.
    /// </summary>
    internal void Tidy(long now)
    {
        var recovering = Volatile.Read(ref _recoveringUntil);
        if (recovering != 0 && now >= recovering)
        {
            Interlocked.CompareExchange(ref _recoveringUntil, 0, recovering);
        }
        var sweep = Volatile.Read(ref _nextSweep);
        if (now >= sweep && Volatile.Read(ref _ejected) > 0 && Interlocked.CompareExchange(ref _nextSweep, now + SweepTicks, sweep) == sweep)
        {
            Sweep(now);
        }
    }

    private void Sweep(long now)
    {
        foreach (var endpoint in Endpoints)
        {
            endpoint.IsAvailable(now);
        }
    }
}
