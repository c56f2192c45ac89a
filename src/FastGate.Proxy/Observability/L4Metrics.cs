using System.Collections.Concurrent;
using System.Text;
using FastGate.Proxy.L4;

namespace FastGate.Proxy.Observability;

/// <summary>Renders the tcp and tls-passthrough listener series (labels: listener); admin path only, so it may allocate.</summary>
public sealed class L4Metrics
{
    private readonly ConcurrentDictionary<string, L4ListenerState> _listeners = new(StringComparer.Ordinal);

    public L4ListenerState Listener(string name) => _listeners.GetOrAdd(name, static n => new L4ListenerState(n));

    public void WriteTo(StringBuilder text)
    {
        var listeners = _listeners.Values.OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
        Series(text, listeners, "fastgate_l4_connections_total", "Connections accepted by the tcp or tls-passthrough listener.", "counter", l => l.Connections);
        Series(text, listeners, "fastgate_l4_active_connections", "Connections of the listener open now.", "gauge", l => l.Active);
        Series(text, listeners, "fastgate_l4_received_bytes_total", "Bytes read from clients and forwarded upstream.", "counter", l => l.BytesFromClients);
        Series(text, listeners, "fastgate_l4_sent_bytes_total", "Bytes read from upstreams and forwarded to clients.", "counter", l => l.BytesToClients);
        Series(text, listeners, "fastgate_l4_connect_failures_total", "Upstream connects that failed (refused, timed out, unresolvable); each try counts.", "counter", l => l.ConnectFailures);
        Series(text, listeners, "fastgate_l4_spliced_connections_total", "Connections whose bytes moved socket to socket inside the kernel (splice), never copied through FastGate's memory.", "counter", l => l.SplicedConnections);
        Series(text, listeners, "fastgate_l4_idle_timeouts_total", "Connections closed because no byte moved either way for idle_timeout.", "counter", l => l.IdleTimeouts);
        Header(text, "fastgate_l4_refused_total", "Connections closed before any byte was forwarded, by reason.", "counter");
        foreach (var listener in listeners)
        {
            foreach (var reason in Enum.GetValues<L4Refusal>())
            {
                var count = listener.Refusals(reason);
                if (count != 0)
                {
                    Label(text, "fastgate_l4_refused_total", listener).Append(",reason=\"").Append(Name(reason)).Append("\"} ").Append(count).Append('\n');
                }
            }
        }
        Header(text, "fastgate_l4_connection_duration_seconds", "How long forwarded connections lasted, from accept to close.", "histogram");
        foreach (var listener in listeners)
        {
            listener.Durations.WriteTo(text, "fastgate_l4_connection_duration_seconds", "listener=\"" + GatewayMetrics.Escape(listener.Name) + "\"");
        }
    }

    public static string Name(L4Refusal reason) => reason switch
    {
        L4Refusal.NoEndpoint => "no_endpoint",
        L4Refusal.CircuitOpen => "circuit_open",
        L4Refusal.ConnectFailed => "connect_failed",
        L4Refusal.HelloTimeout => "client_hello_timeout",
        L4Refusal.HelloIncomplete => "client_hello_incomplete",
        L4Refusal.HelloInvalid => "client_hello_invalid",
        L4Refusal.HelloOversized => "client_hello_oversized",
        _ => reason.ToString(),
    };

    private static void Series(StringBuilder text, List<L4ListenerState> listeners, string name, string help, string type, Func<L4ListenerState, long> value)
    {
        Header(text, name, help, type);
        foreach (var listener in listeners)
        {
            Label(text, name, listener).Append("} ").Append(value(listener)).Append('\n');
        }
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static StringBuilder Label(StringBuilder text, string name, L4ListenerState listener) =>
        text.Append(name).Append("{listener=\"").Append(GatewayMetrics.Escape(listener.Name)).Append('"');
}
