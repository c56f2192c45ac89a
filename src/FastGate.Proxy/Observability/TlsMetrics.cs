using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>TLS handshakes on the listeners that terminate TLS, per listener.</summary>
public sealed class TlsMetrics
{
    private readonly ConcurrentDictionary<string, TlsListenerCounters> _listeners = new(StringComparer.Ordinal);

    public TlsListenerCounters Listener(string name) => _listeners.GetOrAdd(name, static n => new TlsListenerCounters(n));

    public void WriteTo(StringBuilder text)
    {
        var listeners = _listeners.Values.OrderBy(l => l.Name, StringComparer.Ordinal).ToArray();
        text.Append("# HELP fastgate_tls_handshakes_total TLS handshakes on listeners, by result (ok, failed, timeout).\n# TYPE fastgate_tls_handshakes_total counter\n");
        foreach (var listener in listeners)
        {
            var name = GatewayMetrics.Escape(listener.Name);
            foreach (var result in Enum.GetValues<TlsHandshakeResult>())
            {
                text.Append("fastgate_tls_handshakes_total{listener=\"").Append(name).Append("\",result=\"").Append(ResultName(result))
                    .Append("\"} ").Append(listener.Count(result)).Append('\n');
            }
        }
        text.Append("# HELP fastgate_tls_sessions_total Finished TLS handshakes on listeners, by negotiated protocol version and cipher suite.\n# TYPE fastgate_tls_sessions_total counter\n");
        foreach (var listener in listeners)
        {
            var name = GatewayMetrics.Escape(listener.Name);
            foreach (var (version, cipher, count) in listener.Sessions.OrderBy(s => s.Version).ThenBy(s => s.Cipher))
            {
                text.Append("fastgate_tls_sessions_total{listener=\"").Append(name).Append("\",version=\"").Append(VersionName(version))
                    .Append("\",cipher=\"").Append(cipher.ToString()).Append("\"} ").Append(count).Append('\n');
            }
        }
        text.Append("# HELP fastgate_tls_handshake_seconds Time from accepting a connection to the end of its TLS handshake, whatever the result.\n# TYPE fastgate_tls_handshake_seconds histogram\n");
        foreach (var listener in listeners)
        {
            listener.Duration.WriteTo(text, "fastgate_tls_handshake_seconds", "listener=\"" + GatewayMetrics.Escape(listener.Name) + "\"");
        }
    }

    private static string ResultName(TlsHandshakeResult result) => result switch
    {
        TlsHandshakeResult.Ok => "ok",
        TlsHandshakeResult.Failed => "failed",
        _ => "timeout",
    };

    public static string VersionName(SslProtocols version) => version switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => version.ToString(),
    };
}
