using System.Text;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Renders the upstream TLS series: handshakes by cluster and result, for the clusters that have
/// TLS (or had it, while their counters are not zero). Admin path only, so it may allocate.
/// </summary>
internal static class UpstreamTlsMetrics
{
    private const string Name = "fastgate_upstream_tls_handshakes_total";

    public static void WriteTo(StringBuilder text, IEnumerable<ClusterState> clusters)
    {
        var tls = clusters
            .Where(c => c.Model.Tls is not null || c.Tls.Handshakes != 0 || c.Tls.HandshakeFailures != 0)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        if (tls.Count == 0)
        {
            return;
        }
        text.Append("# HELP ").Append(Name).Append(" TLS handshakes with the cluster's endpoints (connections and health checks), by result.\n")
            .Append("# TYPE ").Append(Name).Append(" counter\n");
        foreach (var cluster in tls)
        {
            var label = GatewayMetrics.Escape(cluster.Name);
            text.Append(Name).Append("{cluster=\"").Append(label).Append("\",result=\"ok\"} ").Append(cluster.Tls.Handshakes).Append('\n');
            text.Append(Name).Append("{cluster=\"").Append(label).Append("\",result=\"failed\"} ").Append(cluster.Tls.HandshakeFailures).Append('\n');
        }
    }
}
