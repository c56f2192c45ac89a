using System.Diagnostics;
using System.Text;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// The warn line for a transform that refused to write what it rendered (a control character that
/// came in with the request, a rewritten path that is not a path). A client can cause one per
/// request, so the process keeps at most one line per 10 seconds, counting the ones held back.
/// </summary>
internal static class TransformRefusalLog
{
    private static readonly WarningRateLimit Limit = new(10 * Stopwatch.Frequency);

    /// <summary>Logs (rate-limited) and answers <paramref name="status"/>.</summary>
    public static StageOutcome Refuse(StageServices services, Exchange exchange, string stage, string what, int status = 400)
    {
        if (services.Log.IsEnabled(Config.LogLevel.Warn) && Limit.TryAcquire(Stopwatch.GetTimestamp(), out var suppressed))
        {
            var route = exchange.Route?.Model.Name ?? "?";
            var client = Encoding.ASCII.GetString(exchange.ClientAddressBytes);
            services.Log.Warn(suppressed == 0
                ? $"route '{route}': {stage} refused {what} for client {client}; answered {status}"
                : $"route '{route}': {stage} refused {what} for client {client}; answered {status} ({suppressed} more since the last line)");
        }
        return exchange.Answer(status);
    }
}
