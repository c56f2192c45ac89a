using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;

namespace FastGate.Proxy.Upstreams;

/// <summary>A cluster as one snapshot sees it: its model, its endpoints' shared states and its policy.</summary>
public sealed class Cluster
{
    /// <summary>How many times the policy is asked again before a scan for an available endpoint.</summary>
    private const int Repicks = 3;

    private readonly EndpointState[] _endpoints;
    private readonly Random _random;

    /// <param name="state">The cluster's state kept across reloads; without one (tests, benchmarks) the cluster makes its own and takes its endpoints into it.</param>
    /// <param name="random">Draws the slow-start shares; <see cref="Random.Shared"/> unless a test seeds one.</param>
    public Cluster(ClusterModel model, EndpointState[] endpoints, ILoadBalancingPolicy policy, ClusterState? state = null, Random? random = null)
    {
        Model = model;
        _endpoints = endpoints;
        Policy = policy;
        _random = random ?? Random.Shared;
        if (state is null)
        {
            state = new ClusterState(model.Name) { Model = model };
            foreach (var endpoint in endpoints)
            {
                endpoint.Cluster = state;
            }
            state.SetEndpoints(endpoints);
        }
        State = state;
    }

    public ClusterModel Model { get; }

    /// <summary>The cluster's counters that outlive this snapshot (circuit caps, retry budget, ejections).</summary>
    public ClusterState State { get; }
    public ILoadBalancingPolicy Policy { get; }
    public ReadOnlySpan<EndpointState> Endpoints => _endpoints;

    /// <summary>The endpoint for the next exchange, or null when the cluster has none to offer (503).</summary>
    /// <param name="clientHash">The client's <see cref="LoadBalancing.StableHash"/>, for hash-based policies.</param>
    /// <param name="avoid">An endpoint a retry must not go back to, when another can serve.</param>
    public EndpointState? Pick(ulong clientHash, EndpointState? avoid = null)
    {
        var endpoints = _endpoints;
        var index = Policy.Pick(endpoints, clientHash);
        if (index < 0)
        {
            return null;
        }
        var endpoint = endpoints[index];
        // All endpoints in rotation at full share (the common case): the policy's word is final.
        if (State.AllAvailable && (avoid is null || !ReferenceEquals(endpoint, avoid) || endpoints.Length == 1))
        {
            return endpoint;
        }
        return PickDegraded(index, clientHash, avoid, Stopwatch.GetTimestamp());
    }

    /// <summary><see cref="Pick(ulong, EndpointState?)"/> at a given time (Stopwatch ticks), for tests.</summary>
    internal EndpointState? Pick(ulong clientHash, EndpointState? avoid, long now)
    {
        var index = Policy.Pick(_endpoints, clientHash);
        return index < 0 ? null : PickDegraded(index, clientHash, avoid, now);
    }

    /// <summary>
    /// Some endpoint is out of rotation or slow-starting, or the pick is the one to avoid. Below
    /// panic_threshold of endpoints available the cluster panics and ignores availability, as
    /// Envoy does: a few endpoints taking all the traffic would fall over too, and a health check
    /// that fails everywhere is more likely wrong than the whole cluster dead. Otherwise the policy
    /// is asked again (hash policies with another hash) and then the endpoints are scanned.
    /// </summary>
    private EndpointState? PickDegraded(int index, ulong hash, EndpointState? avoid, long now)
    {
        var endpoints = _endpoints;
        var state = State;
        state.Tidy(now);
        if (IsPanic(now))
        {
            state.PanicPick();
            var chosen = endpoints[index];
            return ReferenceEquals(chosen, avoid) && endpoints.Length > 1 ? endpoints[(index + 1) % endpoints.Length] : chosen;
        }
        var found = Acceptable(endpoints[index], avoid, now) ? index : FindAnother(hash, avoid, now);
        if (found < 0)
        {
            // Nothing else can serve: the endpoint to avoid is still better than a 503.
            return avoid is not null && avoid.IsAvailable(now) ? avoid : null;
        }
        return SlowStart(found, hash, avoid, now);
    }

    private static bool Acceptable(EndpointState endpoint, EndpointState? avoid, long now) =>
        !ReferenceEquals(endpoint, avoid) && endpoint.IsAvailable(now);

    /// <summary>Another acceptable endpoint: the policy asked again a few times, then a scan from a rotating start; -1 when none.</summary>
    private int FindAnother(ulong hash, EndpointState? avoid, long now)
    {
        var endpoints = _endpoints;
        for (var attempt = 1; attempt <= Repicks; attempt++)
        {
            var index = Policy.Pick(endpoints, Perturb(hash, attempt));
            if (index >= 0 && Acceptable(endpoints[index], avoid, now))
            {
                return index;
            }
        }
        var start = State.NextScanStart(endpoints.Length);
        for (var n = 0; n < endpoints.Length; n++)
        {
            var index = (start + n) % endpoints.Length;
            if (Acceptable(endpoints[index], avoid, now))
            {
                return index;
            }
        }
        return -1;
    }

    /// <summary>
    /// An endpoint in slow start keeps a pick with the probability of its share (growing linearly
    /// over the window); otherwise the pick moves to another acceptable endpoint at full share.
    /// When there is none (a lone endpoint, or all slow-starting), it keeps the pick: slow start
    /// only ever shifts traffic, it never refuses it.
    /// </summary>
    private EndpointState SlowStart(int index, ulong hash, EndpointState? avoid, long now)
    {
        var endpoints = _endpoints;
        var endpoint = endpoints[index];
        var share = endpoint.SlowStartShare(now);
        if (share >= 1 || _random.NextDouble() < share)
        {
            return endpoint;
        }
        for (var attempt = 1; attempt <= Repicks; attempt++)
        {
            var other = Policy.Pick(endpoints, Perturb(hash, attempt));
            if (other >= 0 && other != index && Acceptable(endpoints[other], avoid, now) && endpoints[other].SlowStartShare(now) >= 1)
            {
                return endpoints[other];
            }
        }
        return endpoint;
    }

    /// <summary>
    /// True when fewer than panic_threshold percent of the endpoints are available. The cluster's
    /// counts bound the answer from below; only when they say panic is possible are the endpoints
    /// counted one by one (which also ends ejections whose time is up).
    /// </summary>
    private bool IsPanic(long now)
    {
        var threshold = Model.PanicThresholdPercent;
        var total = _endpoints.Length;
        if (threshold <= 0 || total == 0)
        {
            return false;
        }
        var state = State;
        var atLeast = total - state.EjectedEndpoints - state.DownEndpoints;
        if (atLeast * 100L >= (long)threshold * total)
        {
            return false;
        }
        var available = 0;
        foreach (var endpoint in _endpoints)
        {
            if (endpoint.IsAvailable(now))
            {
                available++;
            }
        }
        return available * 100L < (long)threshold * total;
    }

    /// <summary>Another hash for the same client, so a hash policy's next answer differs from its last.</summary>
    private static ulong Perturb(ulong hash, int attempt) => StableHash.Mix(hash + (ulong)attempt * 0x9E3779B97F4A7C15UL);
}
