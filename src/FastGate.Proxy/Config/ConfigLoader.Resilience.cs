namespace FastGate.Proxy.Config;

// [cluster.NAME.health], [cluster.NAME.outlier], [cluster.NAME.retry] and [cluster.NAME.circuit].
public static partial class ConfigLoader
{
    private static readonly string[] HealthKeys =
        ["path", "host", "expected_statuses", "interval", "timeout", "jitter", "healthy", "unhealthy"];

    private static readonly string[] OutlierKeys =
        ["consecutive_5xx", "consecutive_failures", "base_ejection_time", "max_ejection_time", "max_ejection_percent"];

    private static readonly string[] RetryKeys = ["attempts", "on", "budget", "budget_min", "per_try_timeout", "methods"];

    private static readonly string[] CircuitKeys = ["max_connections", "max_pending", "max_requests"];

    private static readonly Dictionary<string, RetryConditions> RetryConditionNames = new(StringComparer.Ordinal)
    {
        ["connect-failure"] = RetryConditions.ConnectFailure,
        ["reset"] = RetryConditions.Reset,
        ["timeout"] = RetryConditions.Timeout,
    };

    /// <summary>More tries than this only lengthen an outage's answer; the budget bounds them anyway.</summary>
    private const int MaxRetryAttempts = 10;

    private static ClusterModel ReadResilience(ConfigReader r, string name, TomlTableNode table, ClusterModel cluster)
    {
        if (r.Table(table, "health") is { } health)
        {
            cluster = cluster with { Health = ReadHealth(r, health, $"[cluster.{name}.health]") };
        }

        if (r.Table(table, "outlier") is { } outlier)
        {
            cluster = cluster with { Outlier = ReadOutlier(r, outlier, $"[cluster.{name}.outlier]") };
        }

        if (r.Table(table, "retry") is { } retry)
        {
            cluster = cluster with { Retry = ReadRetry(r, retry, $"[cluster.{name}.retry]") };
        }

        if (r.Table(table, "circuit") is { } circuit)
        {
            r.CheckKeys(circuit, $"[cluster.{name}.circuit]", CircuitKeys);
            cluster = cluster with
            {
                Circuit = new CircuitModel
                {
                    MaxConnections = (int)(r.Integer(circuit, "max_connections", 0, int.MaxValue) ?? 0),
                    MaxPending = (int)(r.Integer(circuit, "max_pending", 0, int.MaxValue) ?? 0),
                    MaxRequests = (int)(r.Integer(circuit, "max_requests", 0, int.MaxValue) ?? 0),
                },
            };
        }

        return cluster;
    }

    private static HealthCheckModel ReadHealth(ConfigReader r, TomlTableNode table, string context)
    {
        r.CheckKeys(table, context, HealthKeys);
        var health = new HealthCheckModel();
        if (r.String(table, "path") is { } path)
        {
            if (path.Value.StartsWith('/') && !path.Value.Any(c => c <= ' ' || c == 0x7f))
            {
                health = health with { Path = path.Value };
            }
            else
            {
                r.Error(path.At, $"'path' must start with '/' and hold no spaces or control characters, got '{path.Value}'");
            }
        }

        if (r.String(table, "host") is { } host)
        {
            if (host.Value.Length > 0 && host.Value.All(c => c > ' ' && c < 0x7f))
            {
                health = health with { Host = host.Value };
            }
            else
            {
                r.Error(host.At, $"'host' must be a host name without spaces or control characters, got '{host.Value}'");
            }
        }

        if (ReadStatusRanges(r, table, "expected_statuses") is { } statuses)
        {
            health = health with { ExpectedStatuses = statuses };
        }

        if (r.Duration(table, "interval") is { } interval)
        {
            health = health with { Interval = interval };
        }

        if (r.Duration(table, "timeout") is { } timeout)
        {
            health = health with { Timeout = timeout };
        }

        if (health.Timeout > health.Interval)
        {
            r.Error(table.Position, $"'timeout' ({health.Timeout.TotalSeconds:0.###}s) must not exceed 'interval' ({health.Interval.TotalSeconds:0.###}s) in {context}: checks would overlap");
        }

        // By default a tenth of the interval, so a hundred endpoints are not checked in the same instant.
        health = health with { Jitter = r.Duration(table, "jitter", allowZero: true) ?? health.Interval / 10 };
        if (r.Integer(table, "healthy", 1, 100) is { } healthy)
        {
            health = health with { HealthyThreshold = (int)healthy };
        }

        if (r.Integer(table, "unhealthy", 1, 100) is { } unhealthy)
        {
            health = health with { UnhealthyThreshold = (int)unhealthy };
        }

        return health;
    }

    /// <summary>Statuses as "200", "200-299" or a bare integer; each between 100 and 599.</summary>
    private static IReadOnlyList<StatusRange>? ReadStatusRanges(ConfigReader r, TomlTableNode table, string key)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        if (entry.Value is not TomlArrayNode array || array.Items.Count == 0)
        {
            r.Error(entry.Value.Position, $"expected a non-empty array of statuses like [\"200-299\", 302] for '{key}', got {entry.Value.TypeName}");
            return null;
        }

        var ranges = new List<StatusRange>();
        foreach (var item in array.Items)
        {
            var range = item switch
            {
                TomlScalar { Value: long status } => new StatusRange((int)Math.Clamp(status, 0, 1000), (int)Math.Clamp(status, 0, 1000)),
                TomlScalar { Value: string text } => ParseStatusRange(text),
                _ => default,
            };
            if (range.From < 100 || range.To > 599 || range.From > range.To)
            {
                var shown = item is TomlScalar { Value: var value } ? $"'{value}'" : item.TypeName;
                r.Error(item.Position, $"'{key}' holds statuses (100-599) or ranges like \"200-299\"; got {shown}");
                return null;
            }

            ranges.Add(range);
        }

        return ranges;
    }

    /// <summary>"204" or "200-299"; an impossible range (0, 0) when it is neither.</summary>
    private static StatusRange ParseStatusRange(string text)
    {
        var dash = text.IndexOf('-');
        var from = dash < 0 ? text : text[..dash];
        var to = dash < 0 ? text : text[(dash + 1)..];
        return int.TryParse(from, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var a)
            && int.TryParse(to, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var b)
            ? new StatusRange(a, b)
            : default;
    }

    private static OutlierModel ReadOutlier(ConfigReader r, TomlTableNode table, string context)
    {
        r.CheckKeys(table, context, OutlierKeys);
        var outlier = new OutlierModel();
        if (r.Integer(table, "consecutive_5xx", 0, 10_000) is { } fiveXx)
        {
            outlier = outlier with { Consecutive5xx = (int)fiveXx };
        }

        if (r.Integer(table, "consecutive_failures", 0, 10_000) is { } failures)
        {
            outlier = outlier with { ConsecutiveFailures = (int)failures };
        }

        if (r.Duration(table, "base_ejection_time") is { } baseTime)
        {
            outlier = outlier with { BaseEjectionTime = baseTime };
        }

        if (r.Duration(table, "max_ejection_time") is { } maxTime)
        {
            outlier = outlier with { MaxEjectionTime = maxTime };
        }

        if (outlier.MaxEjectionTime < outlier.BaseEjectionTime)
        {
            r.Error(table.Position, $"'max_ejection_time' must be at least 'base_ejection_time' in {context}");
        }

        if (r.Percent(table, "max_ejection_percent") is { } share)
        {
            outlier = outlier with { MaxEjectionPercent = share };
        }

        return outlier;
    }

    private static RetryModel ReadRetry(ConfigReader r, TomlTableNode table, string context)
    {
        r.CheckKeys(table, context, RetryKeys);
        var retry = new RetryModel();
        if (r.Integer(table, "attempts", 1, MaxRetryAttempts) is { } attempts)
        {
            retry = retry with { Attempts = (int)attempts };
        }

        if (r.StringArray(table, "on", "an array like [\"connect-failure\", \"reset\", \"503\"]") is { } on)
        {
            var conditions = RetryConditions.None;
            var statuses = new List<int>();
            foreach (var item in on)
            {
                if (RetryConditionNames.TryGetValue(item.Value, out var condition))
                {
                    conditions |= condition;
                }
                else if (item.Value.Length == 3 && int.TryParse(item.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
                    && status is >= 400 and <= 599)
                {
                    conditions |= RetryConditions.Status;
                    if (!statuses.Contains(status))
                    {
                        statuses.Add(status);
                    }
                }
                else
                {
                    r.Error(item.At, $"unknown retry condition '{item.Value}' in {context}: use connect-failure, reset, timeout or a status from 400 to 599 (\"503\")");
                }
            }

            retry = retry with { On = conditions, Statuses = statuses };
        }

        if (r.Percent(table, "budget") is { } budget)
        {
            retry = retry with { BudgetPercent = budget };
        }

        if (r.Integer(table, "budget_min", 0, 1_000_000) is { } minimum)
        {
            retry = retry with { BudgetMinimum = (int)minimum };
        }

        if (r.Duration(table, "per_try_timeout") is { } perTry)
        {
            retry = retry with { PerTryTimeout = perTry };
        }

        if (r.StringArray(table, "methods", "an array of methods like [\"POST\"]") is { } methods)
        {
            var list = new List<string>();
            foreach (var method in methods)
            {
                if (method.Value.Length > 0 && method.Value.All(char.IsAsciiLetterUpper))
                {
                    list.Add(method.Value);
                }
                else
                {
                    r.Error(method.At, $"'{method.Value}' in 'methods' of {context} is not an upper-case method name like \"POST\"");
                }
            }

            retry = retry with { Methods = list };
        }

        return retry;
    }
}
