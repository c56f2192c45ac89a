using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;

namespace FastGate.Proxy.Upstreams;

/// <summary>A cluster as one snapshot sees it: its model, its endpoints' shared states and its policy.</summary>
public sealed class Cluster
{
    private readonly EndpointState[] _endpoints;

    public Cluster(ClusterModel model, EndpointState[] endpoints, ILoadBalancingPolicy policy, ClusterState? state = null)
    {
        Model = model;
        State = state ?? new ClusterState(model.Name) { Model = model };
        _endpoints = endpoints;
        Policy = policy;
    }

    public ClusterModel Model { get; }

    /// <summary>The cluster's counters that outlive this snapshot (circuit caps, retry budget).</summary>
    public ClusterState State { get; }
    public ILoadBalancingPolicy Policy { get; }
    public ReadOnlySpan<EndpointState> Endpoints => _endpoints;

    /// <summary>The endpoint for the next exchange, or null when the cluster has none to offer (503).</summary>
    /// <param name="clientHash">The client's <see cref="LoadBalancing.StableHash"/>, for hash-based policies.</param>
    /// <param name="avoid">An endpoint a retry must not go back to, when another can serve.</param>
    public EndpointState? Pick(ulong clientHash, EndpointState? avoid = null)
    {
        var index = Policy.Pick(_endpoints, clientHash);
        return index < 0 ? null : _endpoints[index];
    }
}
