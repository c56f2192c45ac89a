using System.Collections.Concurrent;
using System.Text;
using FastGate.Core.ProxyProtocol;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Observability;

/// <summary>
/// PROXY protocol intake per listener: headers accepted by version, connections refused by
/// reason (a header error, a timeout, a peer that closed first) and connections from sources
/// that may not send the header. Counted once per connection.
/// </summary>
public sealed class ProxyProtocolMetrics
{
    private readonly ConcurrentDictionary<string, Counters> _listeners = new(StringComparer.Ordinal);

    public void Accepted(string listener, ProxyVersion version) =>
        Interlocked.Increment(ref For(listener).Accepted[version == ProxyVersion.V1 ? 0 : 1]);

    public void Rejected(string listener, ProxyHeaderError error) =>
        Interlocked.Increment(ref For(listener).Rejected[(int)error]);

    /// <summary>
    /// A connection that ended for <paramref name="outcome"/> (TimedOut or Closed) before its header
    /// was whole; <paramref name="empty"/>: closed without sending a byte, as a connect-only health check does.
    /// </summary>
    public void Rejected(string listener, ProxyIntakeOutcome outcome, bool empty)
    {
        var counters = For(listener);
        if (outcome == ProxyIntakeOutcome.TimedOut)
        {
            Interlocked.Increment(ref counters.TimedOut);
        }
        else
        {
            Interlocked.Increment(ref empty ? ref counters.Empty : ref counters.Truncated);
        }
    }

    public void Untrusted(string listener) => Interlocked.Increment(ref For(listener).Untrusted);

    public long AcceptedCount(string listener, ProxyVersion version) =>
        _listeners.TryGetValue(listener, out var c) ? Interlocked.Read(ref c.Accepted[version == ProxyVersion.V1 ? 0 : 1]) : 0;

    private Counters For(string listener) => _listeners.GetOrAdd(listener, static _ => new Counters());

    public void WriteTo(StringBuilder text)
    {
        var listeners = _listeners.OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
        text.Append("# HELP fastgate_proxy_protocol_accepted_total PROXY protocol headers accepted, by listener and version.\n# TYPE fastgate_proxy_protocol_accepted_total counter\n");
        foreach (var (name, counters) in listeners)
        {
            Line(text, "fastgate_proxy_protocol_accepted_total", name, "version", "v1", Interlocked.Read(ref counters.Accepted[0]));
            Line(text, "fastgate_proxy_protocol_accepted_total", name, "version", "v2", Interlocked.Read(ref counters.Accepted[1]));
        }
        text.Append("# HELP fastgate_proxy_protocol_rejected_total Connections closed for want of a valid PROXY protocol header, by listener and reason.\n# TYPE fastgate_proxy_protocol_rejected_total counter\n");
        foreach (var (name, counters) in listeners)
        {
            for (var error = ProxyHeaderError.Signature; error <= ProxyHeaderError.Tlv; error++)
            {
                Line(text, "fastgate_proxy_protocol_rejected_total", name, "reason", ProxyHeaderErrors.Name(error), Interlocked.Read(ref counters.Rejected[(int)error]));
            }
            Line(text, "fastgate_proxy_protocol_rejected_total", name, "reason", "timeout", Interlocked.Read(ref counters.TimedOut));
            Line(text, "fastgate_proxy_protocol_rejected_total", name, "reason", "truncated", Interlocked.Read(ref counters.Truncated));
            Line(text, "fastgate_proxy_protocol_rejected_total", name, "reason", "empty", Interlocked.Read(ref counters.Empty));
        }
        text.Append("# HELP fastgate_proxy_protocol_untrusted_total Connections closed unread because their source is not in the listener's proxy_protocol_from.\n# TYPE fastgate_proxy_protocol_untrusted_total counter\n");
        foreach (var (name, counters) in listeners)
        {
            text.Append("fastgate_proxy_protocol_untrusted_total{listener=\"").Append(GatewayMetrics.Escape(name)).Append("\"} ")
                .Append(Interlocked.Read(ref counters.Untrusted)).Append('\n');
        }
    }

    private static void Line(StringBuilder text, string metric, string listener, string label, string value, long count) =>
        text.Append(metric).Append("{listener=\"").Append(GatewayMetrics.Escape(listener)).Append("\",").Append(label).Append("=\"")
            .Append(value).Append("\"} ").Append(count).Append('\n');

    private sealed class Counters
    {
        public readonly long[] Accepted = new long[2];
        public readonly long[] Rejected = new long[(int)ProxyHeaderError.Tlv + 1];
        public long TimedOut;
        public long Truncated;
        public long Empty;
        public long Untrusted;
    }
}
