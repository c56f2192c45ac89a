using System.Collections.Concurrent;
using System.Text;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Observability;

/// <summary>
/// The downstream HTTP/2 front per listener: connections open now, streams opened, and each
/// defense that acted (<c>fastgate_http2_defense_total{listener,kind}</c>). A connection takes its
/// listener's counters once, at start, and counts on them without a lookup.
/// </summary>
public sealed class Http2Metrics
{
    private static readonly string[] KindNames =
        ["rapid_reset", "control_flood", "empty_data", "output_backlog", "continuation", "header_list", "refused", "zero_window", "stream_ids", "address_blocked", "send_stall"];

    private readonly ConcurrentDictionary<string, Http2ListenerMetrics> _listeners = new(StringComparer.Ordinal);

    public Http2ListenerMetrics Listener(string name) => _listeners.GetOrAdd(name, static _ => new Http2ListenerMetrics());

    /// <summary>Kind label of a defense, as the metric and the docs spell it.</summary>
    public static string KindName(Http2DefenseKind kind) => KindNames[(int)kind];

    public void WriteTo(StringBuilder text)
    {
        if (_listeners.IsEmpty)
        {
            return;
        }
        var listeners = _listeners.OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
        text.Append("# HELP fastgate_http2_connections_open HTTP/2 client connections open now, by listener.\n# TYPE fastgate_http2_connections_open gauge\n");
        foreach (var (name, counters) in listeners)
        {
            text.Append("fastgate_http2_connections_open{listener=\"").Append(GatewayMetrics.Escape(name)).Append("\"} ").Append(counters.OpenConnections).Append('\n');
        }
        text.Append("# HELP fastgate_http2_streams_total HTTP/2 streams opened by clients, by listener.\n# TYPE fastgate_http2_streams_total counter\n");
        foreach (var (name, counters) in listeners)
        {
            text.Append("fastgate_http2_streams_total{listener=\"").Append(GatewayMetrics.Escape(name)).Append("\"} ").Append(counters.Streams).Append('\n');
        }
        text.Append("# HELP fastgate_http2_defense_total HTTP/2 defenses that acted (a stream refused or reset, the connection ended with GOAWAY or, for send_stall, closed), by listener and kind.\n# TYPE fastgate_http2_defense_total counter\n");
        foreach (var (name, counters) in listeners)
        {
            for (var kind = 0; kind < KindNames.Length; kind++)
            {
                text.Append("fastgate_http2_defense_total{listener=\"").Append(GatewayMetrics.Escape(name)).Append("\",kind=\"").Append(KindNames[kind]).Append("\"} ")
                    .Append(counters.Defenses(kind)).Append('\n');
            }
        }
    }
}
