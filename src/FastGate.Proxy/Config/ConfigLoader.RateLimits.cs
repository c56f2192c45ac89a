namespace FastGate.Proxy.Config;

// [rate_limit], and a route's rate_limit and concurrency_limit.
public static partial class ConfigLoader
{
    private static readonly string[] RateLimitKeys = ["backend", "redis", "on_backend_error", "key_prefix", "timeout", "response_headers"];
    private static readonly string[] RouteRateLimitKeys = ["requests", "per", "key"];
    private static readonly string[] RouteConcurrencyLimitKeys = ["max", "key"];

    private static readonly Dictionary<string, RateLimitBackendKind> RateLimitBackends = new()
    {
        ["local"] = RateLimitBackendKind.Local,
        ["redis"] = RateLimitBackendKind.Redis,
    };

    private static readonly Dictionary<string, RateLimitErrorAction> RateLimitErrorActions = new()
    {
        ["local"] = RateLimitErrorAction.Local,
        ["deny"] = RateLimitErrorAction.Deny,
    };

    private static RateLimitModel ReadRateLimit(ConfigReader r, TomlTableNode root)
    {
        var model = new RateLimitModel();
        var table = r.Table(root, "rate_limit");
        if (table is null)
        {
            return model;
        }

        r.CheckKeys(table, "[rate_limit]", RateLimitKeys);
        var backend = r.Choice(table, "backend", RateLimitBackends) ?? RateLimitBackendKind.Local;
        var redis = r.String(table, "redis");
        if (redis is not null && !AddressParser.TryParseUpstream(redis.Value, out _, out var error))
        {
            r.Error(redis.At, $"{error} for 'redis'");
        }
        if (backend == RateLimitBackendKind.Redis && redis is null)
        {
            r.Error(table.Find("backend")!.Value.Position, "backend = \"redis\" needs the server's address: set 'redis' in [rate_limit] (e.g. redis = \"127.0.0.1:6379\")");
        }

        var prefix = r.String(table, "key_prefix");
        if (prefix is not null && (prefix.Value.Length > 64 || prefix.Value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0))
        {
            r.Error(prefix.At, "'key_prefix' must be at most 64 characters, without CR, LF or NUL");
        }

        return model with
        {
            Backend = backend,
            Redis = redis?.Value,
            OnBackendError = r.Choice(table, "on_backend_error", RateLimitErrorActions) ?? RateLimitErrorAction.Local,
            KeyPrefix = prefix?.Value ?? RateLimitModel.DefaultKeyPrefix,
            Timeout = r.Duration(table, "timeout") ?? model.Timeout,
            ResponseHeaders = r.Boolean(table, "response_headers") ?? false,
        };
    }

    /// <summary>A route's rate_limit and concurrency_limit: each one inline table, or an array of them.</summary>
    private static (RouteRateLimitModel[] Rates, RouteConcurrencyLimitModel[] Concurrency) ReadRouteLimits(ConfigReader r, TomlTableNode route)
    {
        if (route.Find("rate_limit") is null && route.Find("concurrency_limit") is null)
        {
            return ([], []);
        }

        var rates = new List<RouteRateLimitModel>();
        foreach (var table in LimitTables(r, route, "rate_limit"))
        {
            r.CheckKeys(table, "rate_limit", RouteRateLimitKeys);
            var requests = RequiredInteger(r, table, "requests", "rate_limit", 1, 1_000_000_000);
            var per = r.Duration(table, "per");
            if (per is null && table.Find("per") is null)
            {
                r.Missing(table, "per", "rate_limit");
            }
            var key = ReadLimitKey(r, table, "rate_limit");
            if (requests is { } n && per is { } p && p.Ticks * 100 < n)
            {
                r.Error(table.Find("requests")!.Value.Position, $"rate_limit of {n} requests per {p.TotalMilliseconds}ms is finer than one request per nanosecond");
            }
            else if (requests is { } count && per is { } period && key is { } k)
            {
                rates.Add(new RouteRateLimitModel { Requests = count, Per = period, Key = k.Kind, HeaderName = k.Header });
            }
        }

        var concurrency = new List<RouteConcurrencyLimitModel>();
        foreach (var table in LimitTables(r, route, "concurrency_limit"))
        {
            r.CheckKeys(table, "concurrency_limit", RouteConcurrencyLimitKeys);
            var max = RequiredInteger(r, table, "max", "concurrency_limit", 1, int.MaxValue);
            var key = ReadLimitKey(r, table, "concurrency_limit");
            if (max is { } m && key is { } k)
            {
                concurrency.Add(new RouteConcurrencyLimitModel { Max = m, Key = k.Kind, HeaderName = k.Header });
            }
        }

        return (Compact(rates), Compact(concurrency));
    }

    private static IReadOnlyList<TomlTableNode> LimitTables(ConfigReader r, TomlTableNode route, string key) =>
        route.Find(key)?.Value is TomlTableNode single ? [single] : r.Tables(route, key);

    private static long? RequiredInteger(ConfigReader r, TomlTableNode table, string key, string context, long min, long max)
    {
        if (table.Find(key) is null)
        {
            r.Missing(table, key, context);
            return null;
        }
        return r.Integer(table, key, min, max);
    }

    /// <summary>key = "consumer" | "client" | "route" | "header:NAME".</summary>
    private static (RateLimitKeyKind Kind, string Header)? ReadLimitKey(ConfigReader r, TomlTableNode table, string context)
    {
        var text = r.String(table, "key");
        if (text is null)
        {
            if (table.Find("key") is null)
            {
                r.Missing(table, "key", context);
            }
            return null;
        }

        switch (text.Value)
        {
            case "consumer":
                return (RateLimitKeyKind.Consumer, "");
            case "client":
                return (RateLimitKeyKind.Client, "");
            case "route":
                return (RateLimitKeyKind.Route, "");
        }
        if (text.Value.StartsWith("header:", StringComparison.Ordinal))
        {
            var name = text.Value["header:".Length..];
            if (IsToken(name))
            {
                return (RateLimitKeyKind.Header, name.ToLowerInvariant());
            }
            r.Error(text.At, $"invalid header name '{name}' in 'key'; write key = \"header:NAME\" with an HTTP header name");
            return null;
        }

        var suggestion = EditDistance.Closest(text.Value, ["consumer", "client", "route"]);
        r.Error(text.At, suggestion is null
            ? $"invalid value '{text.Value}' for 'key'; expected one of: consumer, client, route, header:NAME"
            : $"invalid value '{text.Value}' for 'key'; did you mean '{suggestion}'? expected one of: consumer, client, route, header:NAME");
        return null;
    }
}
