using System.Net;
using FastGate.Core.Http;

namespace FastGate.Proxy.Config;

// [admin], [log] and [defaults]: the single tables.
public static partial class ConfigLoader
{
    private const string DefaultAdminListen = "127.0.0.1:9901";

    private static readonly string[] AdminKeys = ["listen", "token"];
    private static readonly string[] LogKeys = ["level", "access"];

    /// <summary>The [defaults] keys; a listener may override each of them.</summary>
    private static readonly string[] LimitKeys =
    [
        "max_header_bytes", "max_headers", "header_timeout", "idle_timeout", "max_body_bytes", "drain_timeout",
        "max_request_line_bytes", "merge_slashes", "escaped_slashes", "trusted_proxies",
        "min_request_body_rate", "min_response_rate", "min_rate_window", "max_connections_per_client",
    ];

    private static readonly Dictionary<string, EscapedSlashAction> EscapedSlashActions = new()
    {
        ["keep"] = EscapedSlashAction.Keep,
        ["reject"] = EscapedSlashAction.Reject,
    };

    private static readonly Dictionary<string, LogLevel> LogLevels = new()
    {
        ["error"] = LogLevel.Error,
        ["warn"] = LogLevel.Warn,
        ["info"] = LogLevel.Info,
        ["debug"] = LogLevel.Debug,
    };

    private static AdminModel ReadAdmin(ConfigReader r, TomlTableNode? table)
    {
        var endpoint = IPEndPoint.Parse(DefaultAdminListen);
        if (table is null)
        {
            return new AdminModel { Endpoint = endpoint };
        }

        r.CheckKeys(table, "[admin]", AdminKeys);
        var listen = r.String(table, "listen");
        if (listen is { Value.Length: > 0 })
        {
            if (AddressParser.TryParseListen(listen.Value, out var parsed, out var error))
            {
                endpoint = parsed;
            }
            else
            {
                r.Error(listen.At, $"{error} for 'listen'");
            }
        }

        bool hasToken = table.Find("token") is not null;
        var token = r.Secret(table, "token");

        // Reload and the live config must not be open to the network: off loopback, a token is the only guard.
        if (!hasToken && listen is not null && !IPAddress.IsLoopback(endpoint.Address))
        {
            r.Error(listen.At, $"admin listen address '{listen.Value}' is not a loopback address: set 'token' in [admin] (e.g. token = \"env:FASTGATE_ADMIN_TOKEN\")");
        }

        return new AdminModel { Endpoint = endpoint, Token = token };
    }

    private static LogModel ReadLog(ConfigReader r, TomlTableNode? table)
    {
        var log = new LogModel();
        if (table is null)
        {
            return log;
        }

        r.CheckKeys(table, "[log]", LogKeys);
        if (r.Choice(table, "level", LogLevels) is { } level)
        {
            log = log with { Level = level };
        }

        if (r.String(table, "access") is { } access)
        {
            switch (access.Value)
            {
                case "off":
                    log = log with { Access = null };
                    break;
                case "stdout":
                    log = log with { Access = "stdout" };
                    break;
                case "":
                    r.Error(access.At, "'access' must be \"off\", \"stdout\" or a file path");
                    break;
                default:
                    log = log with { Access = r.ResolvePath(access.Value) };
                    break;
            }
        }

        return log;
    }

    private static LimitsModel ReadDefaults(ConfigReader r, TomlTableNode? table)
    {
        if (table is null)
        {
            return new LimitsModel();
        }

        r.CheckKeys(table, "[defaults]", LimitKeys);
        return ReadLimits(r, table, new LimitsModel());
    }

    /// <summary>The limit keys present in <paramref name="table"/>, over <paramref name="inherited"/>.</summary>
    private static LimitsModel ReadLimits(ConfigReader r, TomlTableNode table, LimitsModel inherited)
    {
        var limits = inherited;
        if (r.Size(table, "max_header_bytes", 1, int.MaxValue) is { } maxHeaderBytes)
        {
            limits = limits with { MaxHeaderBytes = (int)maxHeaderBytes };
        }

        if (r.Integer(table, "max_headers", 1, 100_000) is { } maxHeaders)
        {
            limits = limits with { MaxHeaders = (int)maxHeaders };
        }

        if (r.Duration(table, "header_timeout") is { } headerTimeout)
        {
            limits = limits with { HeaderTimeout = headerTimeout };
        }

        if (r.Duration(table, "idle_timeout") is { } idleTimeout)
        {
            limits = limits with { IdleTimeout = idleTimeout };
        }

        if (r.Size(table, "max_body_bytes", 0, long.MaxValue) is { } maxBodyBytes)
        {
            limits = limits with { MaxBodyBytes = maxBodyBytes };
        }

        // Zero is meaningful here: stop at once, without waiting for in-flight exchanges.
        if (r.Duration(table, "drain_timeout", allowZero: true) is { } drainTimeout)
        {
            limits = limits with { DrainTimeout = drainTimeout };
        }

        if (r.Size(table, "max_request_line_bytes", 1, int.MaxValue) is { } maxRequestLineBytes)
        {
            limits = limits with { MaxRequestLineBytes = (int)maxRequestLineBytes };
        }

        if (r.Boolean(table, "merge_slashes") is { } mergeSlashes)
        {
            limits = limits with { MergeSlashes = mergeSlashes };
        }

        if (r.Choice(table, "escaped_slashes", EscapedSlashActions) is { } escapedSlashes)
        {
            limits = limits with { EscapedSlashes = escapedSlashes };
        }

        if (r.StringList(table, "trusted_proxies") is { } trustedProxies)
        {
            var networks = new List<IPNetwork>(trustedProxies.Count);
            foreach (var item in trustedProxies)
            {
                if (AddressParser.TryParseNetwork(item.Value, out var network, out var error))
                {
                    networks.Add(network);
                }
                else
                {
                    r.Error(item.At, $"{error} in 'trusted_proxies'");
                }
            }

            limits = limits with { TrustedProxies = networks.AsReadOnly() };
        }

        limits = ReadSlowClientLimits(r, table, limits);
        return limits;
    }

    /// <summary>
    /// A required, well-formed, unique name. A duplicate is reported at the second one and still
    /// returned, so references to it do not cascade into "not defined" errors.
    /// </summary>
    private static string? ReadName(ConfigReader r, TomlTableNode table, string context, string kind, Dictionary<string, SourcePosition> seen)
    {
        if (table.Find("name") is null)
        {
            r.Missing(table, "name", context);
            return null;
        }

        var name = r.String(table, "name");
        if (name is null)
        {
            return null;
        }

        if (!ConfigReader.IsValidName(name.Value))
        {
            r.Error(name.At, $"invalid {kind} name '{name.Value}': {ConfigReader.NameRule}");
            return null;
        }

        if (seen.TryGetValue(name.Value, out var first))
        {
            r.Error(name.At, $"duplicate {kind} name '{name.Value}' (first defined at line {first.Line})");
        }
        else
        {
            seen.Add(name.Value, name.At);
        }

        return name.Value;
    }

    private static LocatedString? RequiredString(ConfigReader r, TomlTableNode table, string key, string context)
    {
        if (table.Find(key) is null)
        {
            r.Missing(table, key, context);
            return null;
        }

        return r.String(table, key);
    }

    private static string? RequiredFile(ConfigReader r, TomlTableNode table, string key, string context)
    {
        if (table.Find(key) is null)
        {
            r.Missing(table, key, context);
            return null;
        }

        return r.ExistingFile(table, key);
    }
}
