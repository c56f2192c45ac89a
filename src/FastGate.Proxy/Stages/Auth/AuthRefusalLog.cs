using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages.Auth;

/// <summary>
/// Warn lines for a route's auth refusals, at most one per reason per second: a scanner trying keys
/// would otherwise write a line per request. A line names the route, the reason and the client,
/// never the credential. Only refusals reach this class; a request that passes pays nothing.
/// </summary>
public sealed class AuthRefusalLog(GatewayLog log, string route, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly WarningRateLimit?[] _limits = new WarningRateLimit?[(int)AuthRefusal.BadClaim + 1];

    public void Report(AuthRefusal reason, ReadOnlySpan<byte> clientAddress)
    {
        if (!log.IsEnabled(LogLevel.Warn))
        {
            return;
        }
        ref var slot = ref _limits[(int)reason];
        var limit = Volatile.Read(ref slot) ?? Interlocked.CompareExchange(ref slot, new WarningRateLimit(_time.TimestampFrequency), null) ?? slot!;
        if (!limit.TryAcquire(_time.GetTimestamp(), out var suppressed))
        {
            return;
        }
        var line = $"auth refused: route={route} reason={AuthRefusalCounters.Name(reason)} client={Encoding.ASCII.GetString(clientAddress)}";
        if (suppressed > 0)
        {
            line += $"; {suppressed} more like it suppressed";
        }
        log.Warn(line);
    }
}
