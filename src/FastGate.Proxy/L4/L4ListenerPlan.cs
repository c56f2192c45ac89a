using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.L4;

/// <summary>
/// What a tcp or tls-passthrough listener forwards with under one snapshot: its model, its
/// cluster, its SNI router (passthrough only) and its counters. A connection takes the plan once,
/// when it is accepted, and keeps it: a reload never moves a connection that is already forwarding.
/// </summary>
public sealed class L4ListenerPlan
{
    public L4ListenerPlan(GatewaySnapshot snapshot, ListenerModel model, L4ListenerState metrics)
    {
        Snapshot = snapshot;
        Model = model;
        Metrics = metrics;
        Cluster = snapshot.Clusters[model.Cluster!];
        Router = model.Protocol == ListenerProtocol.TlsPassthrough ? new SniRouter(model.SniRoutes, Cluster, snapshot.Clusters) : null;
    }

    public GatewaySnapshot Snapshot { get; }
    public ListenerModel Model { get; }
    public L4ListenerState Metrics { get; }
    /// <summary>Where a tcp listener's bytes go, and a passthrough listener's when no SNI route matches.</summary>
    public Cluster Cluster { get; }
    /// <summary>Picks the cluster by SNI name; null on a tcp listener, which reads nothing before connecting.</summary>
    public SniRouter? Router { get; }
}
