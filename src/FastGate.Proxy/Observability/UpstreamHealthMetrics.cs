using System.Diagnostics;
using System.Globalization;
using System.Text;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Renders the upstream resilience series: per endpoint (labels cluster, endpoint) whether it is
/// in rotation, its ejections, requests in flight and latency estimate; per cluster its retries,
/// retry budget refusals, circuit refusals by cap and panic picks. Reads the counters kept on
/// <see cref="EndpointState"/> and <see cref="ClusterState"/>; admin path only, so it may allocate.
/// </summary>
internal static class UpstreamHealthMetrics
{
    public static void WriteTo(StringBuilder text, IEnumerable<EndpointState> endpoints, IEnumerable<ClusterState> clusters)
    {
        var now = Stopwatch.GetTimestamp();
        var ordered = endpoints
            .OrderBy(e => e.Cluster.Name, StringComparer.Ordinal)
            .ThenBy(e => e.Address, StringComparer.Ordinal)
            .ToList();
        Header(text, "fastgate_upstream_healthy", "1 when the endpoint takes traffic: not ejected by passive health, not down by active checks.", "gauge");
        foreach (var endpoint in ordered)
        {
            EndpointLabels(text, "fastgate_upstream_healthy", endpoint).Append(endpoint.IsAvailable(now) ? 1 : 0).Append('\n');
        }
        Header(text, "fastgate_upstream_ejections_total", "Ejections of the endpoint by passive health (consecutive failures or 5xx).", "counter");
        foreach (var endpoint in ordered)
        {
            EndpointLabels(text, "fastgate_upstream_ejections_total", endpoint).Append(endpoint.Ejections).Append('\n');
        }
        Header(text, "fastgate_upstream_in_flight", "Requests in flight to the endpoint.", "gauge");
        foreach (var endpoint in ordered)
        {
            EndpointLabels(text, "fastgate_upstream_in_flight", endpoint).Append(endpoint.ActiveRequests).Append('\n');
        }
        Header(text, "fastgate_upstream_latency_ewma_seconds", "Peak-sensitive moving average of the endpoint's response latency as of its last response; absent before the first.", "gauge");
        foreach (var endpoint in ordered)
        {
            if (endpoint.Latency.HasSample)
            {
                EndpointLabels(text, "fastgate_upstream_latency_ewma_seconds", endpoint).Append(endpoint.Latency.Seconds.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        var orderedClusters = clusters.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        Header(text, "fastgate_upstream_retries_total", "Retries the cluster's retry budget allowed.", "counter");
        foreach (var cluster in orderedClusters)
        {
            ClusterLabel(text, "fastgate_upstream_retries_total", cluster).Append("} ").Append(cluster.Retries).Append('\n');
        }
        Header(text, "fastgate_upstream_retry_budget_exhausted_total", "Retries refused because the cluster's retry budget was spent.", "counter");
        foreach (var cluster in orderedClusters)
        {
            ClusterLabel(text, "fastgate_upstream_retry_budget_exhausted_total", cluster).Append("} ").Append(cluster.BudgetExhausted).Append('\n');
        }
        Header(text, "fastgate_upstream_circuit_open_total", "Requests answered 503 at once because a cluster cap was reached, by cap.", "counter");
        foreach (var cluster in orderedClusters)
        {
            Cap(text, cluster, CircuitCap.MaxConnections);
            Cap(text, cluster, CircuitCap.MaxPending);
            Cap(text, cluster, CircuitCap.MaxRequests);
        }
        Header(text, "fastgate_upstream_panic_total", "Picks made in panic mode: too few endpoints available, so all of them took traffic.", "counter");
        foreach (var cluster in orderedClusters)
        {
            ClusterLabel(text, "fastgate_upstream_panic_total", cluster).Append("} ").Append(cluster.PanicPicks).Append('\n');
        }
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static StringBuilder EndpointLabels(StringBuilder text, string name, EndpointState endpoint) =>
        text.Append(name).Append("{cluster=\"").Append(GatewayMetrics.Escape(endpoint.Cluster.Name))
            .Append("\",endpoint=\"").Append(GatewayMetrics.Escape(endpoint.Address)).Append("\"} ");

    private static StringBuilder ClusterLabel(StringBuilder text, string name, ClusterState cluster) =>
        text.Append(name).Append("{cluster=\"").Append(GatewayMetrics.Escape(cluster.Name)).Append('"');

    private static void Cap(StringBuilder text, ClusterState cluster, CircuitCap cap) =>
        ClusterLabel(text, "fastgate_upstream_circuit_open_total", cluster).Append(",cap=\"").Append(cap.Name()).Append("\"} ").Append(cluster.CircuitRefusals(cap)).Append('\n');
}
