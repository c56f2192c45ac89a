using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Routing;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Hosting;

/// <summary>
/// Everything one config generation serves with, immutable once built. Published with one
/// volatile write; an exchange reads it once and keeps it to the end, so a reload never changes
/// the rules under a request in flight.
/// </summary>
public sealed class GatewaySnapshot
{
    private readonly Dictionary<string, int> _listenerIndex;
    private readonly Dictionary<string, ListenerModel> _listeners;

    public GatewaySnapshot(ConfigModel model, IReadOnlyDictionary<string, Cluster> clusters, GatewayMetrics metrics, long generation, StageServices stages)
    {
        Model = model;
        Generation = generation;
        Clusters = clusters;
        var names = new List<string>();
        _listenerIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        _listeners = new Dictionary<string, ListenerModel>(StringComparer.Ordinal);
        foreach (var listener in model.Listeners)
        {
            _listenerIndex[listener.Name] = names.Count;
            _listeners[listener.Name] = listener;
            names.Add(listener.Name);
        }
        Routes = RouteTable.Build(model.Routes, names);
        RouteRuntimes = new RouteRuntime[Routes.Routes.Count];
        for (var i = 0; i < RouteRuntimes.Length; i++)
        {
            var route = Routes.Routes[i];
            RouteRuntimes[i] = new RouteRuntime(route, route.Cluster.Length == 0 ? null : clusters[route.Cluster], metrics.Route(route.Name), RouteStages.Build(route, model, stages));
        }
    }

    public ConfigModel Model { get; }
    /// <summary>1 for the config loaded at start, +1 per successful reload.</summary>
    public long Generation { get; }
    public RouteTable Routes { get; }
    public RouteRuntime[] RouteRuntimes { get; }
    public IReadOnlyDictionary<string, Cluster> Clusters { get; }

    /// <summary>The index the route table knows a listener by, or -1 when this snapshot has no such listener.</summary>
    public int ListenerIndex(string name) => _listenerIndex.TryGetValue(name, out var index) ? index : -1;

    public ListenerModel? Listener(string name) => _listeners.GetValueOrDefault(name);
}
