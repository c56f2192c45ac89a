namespace FastGate.Proxy.Observability;

/// <summary>Counters of one route, by name; they outlive reloads that keep the route's name.</summary>
public sealed class RouteState(string name) : RequestCounts(name);
