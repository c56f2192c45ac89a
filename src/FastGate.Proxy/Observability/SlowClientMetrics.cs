using System.Collections.Concurrent;
using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Slow-request protection per listener: clients cut for a slow request head, a slow request body
/// or slow reading of the response (<see cref="SlowClientReason"/>), and connections closed at
/// accept because their address already had max_connections_per_client open. Counted once per
/// connection cut; the counters are looked up by name only when a client is cut, never per request.
/// </summary>
public sealed class SlowClientMetrics
{
    private const int ReasonCount = (int)SlowClientReason.ResponseRate + 1;

    private readonly ConcurrentDictionary<string, Counters> _listeners = new(StringComparer.Ordinal);

    public void SlowClient(string listener, SlowClientReason reason) => Interlocked.Increment(ref For(listener).Slow[(int)reason]);

    public void ConnectionCapped(string listener) => Interlocked.Increment(ref For(listener).Capped);

    public long SlowClientCount(string listener, SlowClientReason reason) =>
        _listeners.TryGetValue(listener, out var c) ? Interlocked.Read(ref c.Slow[(int)reason]) : 0;

    public long CappedCount(string listener) => _listeners.TryGetValue(listener, out var c) ? Interlocked.Read(ref c.Capped) : 0;

    private Counters For(string listener) => _listeners.GetOrAdd(listener, static _ => new Counters());

    public void WriteTo(StringBuilder text)
    {
        var listeners = _listeners.OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
        text.Append("# HELP fastgate_slow_clients_total Client connections cut for sending or reading too slowly, by listener and reason.\n# TYPE fastgate_slow_clients_total counter\n");
        foreach (var (name, counters) in listeners)
        {
            for (var reason = 0; reason < ReasonCount; reason++)
            {
                text.Append("fastgate_slow_clients_total{listener=\"").Append(GatewayMetrics.Escape(name)).Append("\",reason=\"")
                    .Append(Label((SlowClientReason)reason)).Append("\"} ").Append(Interlocked.Read(ref counters.Slow[reason])).Append('\n');
            }
        }
        text.Append("# HELP fastgate_client_connection_cap_total Connections closed at accept because their client address had max_connections_per_client open, by listener.\n# TYPE fastgate_client_connection_cap_total counter\n");
        foreach (var (name, counters) in listeners)
        {
            text.Append("fastgate_client_connection_cap_total{listener=\"").Append(GatewayMetrics.Escape(name)).Append("\"} ")
                .Append(Interlocked.Read(ref counters.Capped)).Append('\n');
        }
    }

    private static string Label(SlowClientReason reason) => reason switch
    {
        SlowClientReason.RequestHead => "request_head",
        SlowClientReason.RequestBodyRate => "request_body_rate",
        _ => "response_rate",
    };

    private sealed class Counters
    {
        public readonly long[] Slow = new long[ReasonCount];
        public long Capped;
    }
}
