namespace FastGate.Proxy.Config;

// Slow-request protection in [defaults] and [[listener]]: minimum data rates and the per-client connection cap.
public static partial class ConfigLoader
{
    /// <summary>Fastest minimum rate accepted: above this the setting is a typo, not a policy.</summary>
    private const long MaxMinimumRate = 1L << 30;

    /// <summary>
    /// Shorter windows judge noise (a scheduler hiccup, one delayed ACK) rather than a client, and
    /// the deadlines that enforce a rate fire at the timer's granularity.
    /// </summary>
    private static readonly TimeSpan MinRateWindowFloor = TimeSpan.FromSeconds(1);

    private static LimitsModel ReadSlowClientLimits(ConfigReader r, TomlTableNode table, LimitsModel limits)
    {
        if (ReadRate(r, table, "min_request_body_rate") is { } bodyRate)
        {
            limits = limits with { MinRequestBodyRate = bodyRate };
        }

        if (ReadRate(r, table, "min_response_rate") is { } responseRate)
        {
            limits = limits with { MinResponseRate = responseRate };
        }

        if (r.Duration(table, "min_rate_window") is { } window)
        {
            if (window < MinRateWindowFloor)
            {
                r.Error(table.Find("min_rate_window")!.Value.Position, $"'min_rate_window' must be at least {MinRateWindowFloor.TotalSeconds:0}s, got {window.TotalMilliseconds:0}ms");
            }
            else
            {
                limits = limits with { MinRateWindow = window };
            }
        }

        if (r.Integer(table, "max_connections_per_client", 0, 1_000_000) is { } perClient)
        {
            limits = limits with { MaxConnectionsPerClient = (int)perClient };
        }

        return limits;
    }

    /// <summary>
    /// A rate written as a size per second: "240B", "1KiB/s", or a bare integer of bytes; 0 turns
    /// the minimum off. The "/s" is optional: the unit of time is always the second.
    /// </summary>
    private static long? ReadRate(ConfigReader r, TomlTableNode table, string key)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        long value;
        switch (entry.Value)
        {
            case TomlScalar { Value: long bytes }:
                value = bytes;
                break;
            case TomlScalar { Value: string text }:
                var size = text.EndsWith("/s", StringComparison.Ordinal) ? text[..^2] : text;
                if (!SizeParser.TryParse(size, out value, out var error))
                {
                    r.Error(entry.Value.Position, $"{error} for '{key}' (a size per second like \"240B\" or \"1KiB/s\"; \"0\" for none)");
                    return null;
                }

                break;
            default:
                r.Error(entry.Value.Position, $"expected a size per second like \"240B\" for '{key}', got {entry.Value.TypeName}");
                return null;
        }

        if (value < 0 || value > MaxMinimumRate)
        {
            r.Error(entry.Value.Position, $"'{key}' must be between 0 and {MaxMinimumRate} bytes per second, got {value}");
            return null;
        }

        return value;
    }
}
