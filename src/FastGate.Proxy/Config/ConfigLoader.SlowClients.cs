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
        if (r.Rate(table, "min_request_body_rate", 0, MaxMinimumRate) is { } bodyRate)
        {
            limits = limits with { MinRequestBodyRate = bodyRate };
        }

        if (r.Rate(table, "min_response_rate", 0, MaxMinimumRate) is { } responseRate)
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
}
