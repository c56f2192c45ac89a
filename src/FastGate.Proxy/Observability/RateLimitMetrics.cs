using System.Collections.Concurrent;
using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Rate-limit counters: requests refused per route, and failures of the shared counter backend.
/// A stage takes its route's counter once when it is built, so counting is one atomic increment.
/// </summary>
public sealed class RateLimitMetrics
{
    private readonly ConcurrentDictionary<string, RateLimitRouteCounter> _routes = new(StringComparer.Ordinal);
    private long _backendErrors;

    public RateLimitRouteCounter Route(string name) => _routes.GetOrAdd(name, static n => new RateLimitRouteCounter(n));

    public long BackendErrors => Interlocked.Read(ref _backendErrors);

    public void BackendError() => Interlocked.Increment(ref _backendErrors);

    public void WriteTo(StringBuilder text)
    {
        text.Append("# HELP fastgate_rate_limited_total Requests refused by a rate or concurrency limit (429), by route.\n# TYPE fastgate_rate_limited_total counter\n");
        foreach (var route in _routes.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            text.Append("fastgate_rate_limited_total{route=\"").Append(GatewayMetrics.Escape(route.Name)).Append("\"} ").Append(route.Limited).Append('\n');
        }
        text.Append("# HELP fastgate_rate_limit_backend_errors_total Rate-limit decisions the shared backend (Redis) failed or timed out; on_backend_error decided them.\n# TYPE fastgate_rate_limit_backend_errors_total counter\n");
        text.Append("fastgate_rate_limit_backend_errors_total ").Append(BackendErrors).Append('\n');
    }
}
