using FastGate.Core.Transport;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// All endpoint states by address, across snapshots. Building a snapshot takes the existing state
/// for an address that stays (keeping its pool); endpoints that left are retired after the swap.
/// Used only by the reload path, under its lock.
/// </summary>
public sealed class EndpointRegistry
{
    private readonly IUpstreamConnector _connector;
    private Dictionary<string, EndpointState> _states = new(StringComparer.Ordinal);

    public EndpointRegistry(IUpstreamConnector connector)
    {
        _connector = connector;
    }

    public IEnumerable<EndpointState> All => _states.Values;

    /// <summary>Builds the clusters for a model, reusing states by address. Call <see cref="Commit"/> once the snapshot is live.</summary>
    public Dictionary<string, Cluster> Build(ConfigModel model, out Dictionary<string, EndpointState> next)
    {
        next = new Dictionary<string, EndpointState>(StringComparer.Ordinal);
        var clusters = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        foreach (var (name, clusterModel) in model.Clusters)
        {
            var endpoints = new EndpointState[clusterModel.Endpoints.Count];
            for (var i = 0; i < endpoints.Length; i++)
            {
                var endpointModel = clusterModel.Endpoints[i];
                if (!next.TryGetValue(endpointModel.Address, out var state))
                {
                    if (!_states.TryGetValue(endpointModel.Address, out state))
                    {
                        state = new EndpointState(endpointModel, _connector);
                    }
                    next[endpointModel.Address] = state;
                }
                state.Model = endpointModel;
                state.Configure(clusterModel.MaxIdleConnections, clusterModel.IdleTimeout);
                endpoints[i] = state;
            }
            clusters[name] = new Cluster(clusterModel, endpoints, LoadBalancing.LoadBalancingPolicies.Create(clusterModel));
        }
        return clusters;
    }

    /// <summary>Makes <paramref name="next"/> the live set and retires endpoints no longer named.</summary>
    public void Commit(Dictionary<string, EndpointState> next)
    {
        foreach (var (address, state) in _states)
        {
            if (!next.ContainsKey(address))
            {
                state.Retire();
            }
        }
        _states = next;
    }
}
