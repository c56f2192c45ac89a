using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// What <see cref="EndpointRegistry.Build"/> would make live: the endpoint states by (cluster,
/// address) and the settings each takes. Nothing in it has touched a live state; only
/// <see cref="EndpointRegistry.Commit"/> applies it, once every listener is bound.
/// </summary>
public sealed class EndpointPlan
{
    internal Dictionary<(string Cluster, string Address), EndpointState> States { get; } = new();

    internal Dictionary<string, (ClusterState State, ClusterModel Model, EndpointState[] Endpoints)> ClusterStates { get; } = new(StringComparer.Ordinal);

    internal List<(EndpointState State, EndpointModel Model, int MaxIdle, TimeSpan IdleTimeout)> Settings { get; } = [];
}
