using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;
using static FastGate.Proxy.Tests.Upstreams.UpstreamTestKit;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class ResilienceMetricsTests
{
    [Fact]
    public void Render_EndpointAndClusterCounters_AppearAsPrometheusSeries()
    {
        var cluster = Cluster(Model(2) with { Retry = new RetryModel { BudgetMinimum = 1, BudgetPercent = 0 }, Circuit = new CircuitModel { MaxRequests = 1 } });
        var (ejected, busy) = (cluster.Endpoints[0], cluster.Endpoints[1]);
        Fail(ejected, 3, Stopwatch.GetTimestamp());
        busy.OnRequestStart();
        busy.OnResponse(200, Ticks(0.25), Stopwatch.GetTimestamp());
        cluster.State.TryStartRetry();
        cluster.State.TryStartRetry();
        cluster.State.TryStartRequest();
        cluster.State.TryStartRequest();

        var text = new GatewayMetrics().Render(cluster.Endpoints.ToArray(), [cluster.State]);

        Assert.Contains("fastgate_upstream_healthy{cluster=\"c\",endpoint=\"10.0.0.1:80\"} 0\n", text);
        Assert.Contains("fastgate_upstream_healthy{cluster=\"c\",endpoint=\"10.0.0.2:80\"} 1\n", text);
        Assert.Contains("fastgate_upstream_ejections_total{cluster=\"c\",endpoint=\"10.0.0.1:80\"} 1\n", text);
        Assert.Contains("fastgate_upstream_in_flight{cluster=\"c\",endpoint=\"10.0.0.2:80\"} 1\n", text);
        Assert.Contains("fastgate_upstream_latency_ewma_seconds{cluster=\"c\",endpoint=\"10.0.0.2:80\"} 0.25\n", text);
        Assert.DoesNotContain("fastgate_upstream_latency_ewma_seconds{cluster=\"c\",endpoint=\"10.0.0.1:80\"}", text);
        Assert.Contains("fastgate_upstream_retries_total{cluster=\"c\"} 1\n", text);
        Assert.Contains("fastgate_upstream_retry_budget_exhausted_total{cluster=\"c\"} 1\n", text);
        Assert.Contains("fastgate_upstream_circuit_open_total{cluster=\"c\",cap=\"max_requests\"} 1\n", text);
        Assert.Contains("fastgate_upstream_circuit_open_total{cluster=\"c\",cap=\"max_connections\"} 0\n", text);
        Assert.Contains("fastgate_upstream_panic_total{cluster=\"c\"} 0\n", text);
        Assert.Contains("# TYPE fastgate_upstream_ejections_total counter\n", text);
    }

    [Fact]
    public void Render_WithoutClusters_TakesThemFromTheEndpoints()
    {
        var cluster = Cluster(Model(1));

        var text = new GatewayMetrics().Render(cluster.Endpoints.ToArray());

        Assert.Contains("fastgate_upstream_panic_total{cluster=\"c\"} 0\n", text);
    }
}
