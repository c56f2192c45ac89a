using System.Collections.Concurrent;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Warn lines for upstream failures, at most one per endpoint and cause per second: a dead
/// endpoint under load fails every request, and a line per request would flood the journal.
/// A line that follows suppressed ones says how many. Only failures reach this class, so the
/// success path pays nothing.
/// </summary>
public sealed class UpstreamFailureLog(GatewayLog log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<(string Endpoint, UpstreamFailure Cause), WarningRateLimit> _limits = new();

    /// <param name="detail">The error behind the failure (a socket error code, say), or null.</param>
    public void Report(string? route, string endpoint, UpstreamFailure cause, string? detail)
    {
        if (!log.IsEnabled(LogLevel.Warn))
        {
            return;
        }
        var limit = _limits.GetOrAdd((endpoint, cause), static (_, frequency) => new WarningRateLimit(frequency), _time.TimestampFrequency);
        if (!limit.TryAcquire(_time.GetTimestamp(), out var suppressed))
        {
            return;
        }
        var line = $"upstream failure: route={route ?? "-"} endpoint={endpoint} cause={Name(cause)}";
        if (detail is not null)
        {
            line += $" ({detail})";
        }
        if (suppressed > 0)
        {
            line += $"; {suppressed} more like it suppressed";
        }
        log.Warn(line);
    }

    public static string Name(UpstreamFailure cause) => cause switch
    {
        UpstreamFailure.ConnectRefused => "connect-refused",
        UpstreamFailure.ConnectTimeout => "connect-timeout",
        UpstreamFailure.Unresolvable => "unresolvable",
        UpstreamFailure.ConnectFailed => "connect-failed",
        UpstreamFailure.TlsHandshakeFailed => "tls-handshake-failed",
        UpstreamFailure.SendFailed => "send-failed",
        UpstreamFailure.SendTimeout => "send-timeout",
        UpstreamFailure.ClosedBeforeResponse => "closed-before-response",
        UpstreamFailure.BadResponseHead => "bad-response-head",
        UpstreamFailure.ResponseTimeout => "response-timeout",
        _ => "response-body-failed",
    };
}
