using FastGate.Core.Transport;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// All endpoint states across snapshots, keyed by (cluster, address): an endpoint that stays in
/// its cluster keeps its pool and counters; endpoints that left are retired after the swap. The key
/// holds the cluster because weight and pool limits are cluster settings: two clusters naming one
/// address each get their own state, the way nginx gives each upstream block its own keepalive
/// cache, so neither takes the other's limits. Health, ejections and latency estimates live in
/// those states too, so they survive a reload as the pools do. Used only by the reload path,
/// under its lock.
/// </summary>
public sealed class EndpointRegistry
{
    private readonly IUpstreamConnector _connector;
    private Dictionary<(string Cluster, string Address), EndpointState> _states = new();
    private Dictionary<string, ClusterState> _clusterStates = new(StringComparer.Ordinal);

    public EndpointRegistry(IUpstreamConnector connector)
    {
        _connector = connector;
    }

    public IEnumerable<EndpointState> All => _states.Values;

    /// <summary>
    /// Builds the clusters for a model, reusing states that stay. Changes nothing live: a reload that
    /// fails after this (a listener that cannot bind) leaves every endpoint as it was. Call
    /// <see cref="Commit"/> to apply <paramref name="plan"/>.
    /// </summary>
    public Dictionary<string, Cluster> Build(ConfigModel model, out EndpointPlan plan)
    {
        plan = new EndpointPlan();
        var clusters = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        foreach (var (name, clusterModel) in model.Clusters)
        {
            if (!_clusterStates.TryGetValue(name, out var clusterState))
            {
                clusterState = new ClusterState(name) { Model = clusterModel };
            }
            var endpoints = new EndpointState[clusterModel.Endpoints.Count];
            for (var i = 0; i < endpoints.Length; i++)
            {
                var endpointModel = clusterModel.Endpoints[i];
                var key = (name, endpointModel.Address);
                if (!plan.States.TryGetValue(key, out var state))
                {
                    if (!_states.TryGetValue(key, out state))
                    {
                        state = new EndpointState(endpointModel, _connector) { Cluster = clusterState };
                    }
                    plan.States[key] = state;
                }
                plan.Settings.Add((state, endpointModel, clusterModel.MaxIdleConnections, clusterModel.IdleTimeout));
                endpoints[i] = state;
            }
            plan.ClusterStates[name] = (clusterState, clusterModel, endpoints);
            clusters[name] = new Cluster(clusterModel, endpoints, LoadBalancing.LoadBalancingPolicies.Create(clusterModel), clusterState);
        }
        return clusters;
    }

    /// <summary>Applies the settings of <paramref name="plan"/>, makes its states the live set and retires endpoints no longer named.</summary>
    public void Commit(EndpointPlan plan)
    {
        foreach (var (state, model, maxIdle, idleTimeout) in plan.Settings)
        {
            state.Model = model;
            state.Configure(maxIdle, idleTimeout);
        }
        foreach (var (key, state) in _states)
        {
            if (!plan.States.ContainsKey(key))
            {
                state.Retire();
            }
        }
        _states = plan.States;
        var clusterStates = new Dictionary<string, ClusterState>(StringComparer.Ordinal);
        foreach (var (name, (state, model, endpoints)) in plan.ClusterStates)
        {
            // A changed model (thresholds, caps, budget) applies from here to the state that
            // stays, and with it to its endpoints' ejections, checks and slow start.
            state.Model = model;
            state.SetEndpoints(endpoints);
            clusterStates[name] = state;
        }
        _clusterStates = clusterStates;
    }

    /// <summary>The live clusters' shared states, for metrics.</summary>
    public IEnumerable<ClusterState> Clusters => _clusterStates.Values;
}
