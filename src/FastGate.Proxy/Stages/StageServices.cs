using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages.RateLimits;

namespace FastGate.Proxy.Stages;

/// <summary>
/// What stages share beyond one snapshot: the log, the metrics, and state that must outlive a
/// reload (rate-limit counters, the Redis connection). Owned by the gateway; each snapshot's
/// stages are built with it.
/// </summary>
public sealed class StageServices(GatewayLog log, GatewayMetrics metrics)
{
    public GatewayLog Log { get; } = log;
    public GatewayMetrics Metrics { get; } = metrics;
    /// <summary>Rate-limit counters and the Redis connection, shared by every snapshot.</summary>
    public RateLimitBackends RateLimits { get; } = new();

    /// <summary>
    /// Stages an application that embeds the gateway adds in code, after the configured ones of
    /// each route; called once per route whenever a snapshot is built. Return an empty list for a
    /// route that needs none (most routes: keep it cheap).
    /// </summary>
    public Func<RouteModel, IReadOnlyList<Stage>>? CustomStages { get; set; }

    /// <summary>
    /// A stage built from the route and the whole config it came with (an <c>ai = true</c>
    /// route's gateway stage needs the providers and the model table): null for a route it does
    /// not serve. Runs once per route whenever a snapshot is built; its stage comes after the
    /// configured ones and before <see cref="CustomStages"/>.
    /// </summary>
    public Func<RouteModel, ConfigModel, Stage?>? RouteStage { get; set; }
}
