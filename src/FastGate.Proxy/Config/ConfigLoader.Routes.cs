using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using FastGate.Core.Http;

namespace FastGate.Proxy.Config;

// [[route]].
public static partial class ConfigLoader
{
    private static readonly string[] RouteKeys =
    [
        "rate_limit", "concurrency_limit",
        "name", "listener", "host", "path", "path_prefix", "path_regex", "methods", "headers", "cluster",
        "strip_prefix", "timeout", "max_body_bytes",
        "auth", "anonymous", "api_key_header", "api_key_query", "forward_credentials", "jwt",
        "websocket", "ai",
        .. Transform.Keys,
        .. Streams.Keys,
    ];

    private static readonly string[] PathKeys = ["path", "path_prefix", "path_regex"];

    // Optimized at once: it loops over every route of the file exactly once (see ConfigReader).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static List<RouteModel> ReadRoutes(
        ConfigReader r, IReadOnlyList<TomlTableNode> tables, LimitsModel defaults, ListenerSet listeners, ClusterSet clusters,
        ConsumerIndex consumers, AiTables ai)
    {
        const string context = "[[route]]";
        var routes = new List<RouteModel>();
        var names = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
        for (int order = 0; order < tables.Count; order++)
        {
            var table = tables[order];
            int errorsBefore = r.Errors.Count;
            r.CheckKeys(table, context, RouteKeys);
            var name = ReadName(r, table, context, "route", names);

            var routeListeners = new List<string>();
            foreach (var listener in r.StringList(table, "listener") ?? [])
            {
                if (!listeners.Declared.TryGetValue(listener.Value, out var protocol))
                {
                    r.Error(listener.At, $"route '{name}' names listener '{listener.Value}' which is not defined");
                }
                else if (protocol is { } p && p != ListenerProtocol.Http)
                {
                    r.Error(listener.At, $"route '{name}' names listener '{listener.Value}' which is a {ProtocolName(p)} listener; routes apply to http listeners only");
                }
                else
                {
                    routeListeners.Add(listener.Value);
                }
            }

            var hosts = new List<string>();
            foreach (var host in r.StringList(table, "host") ?? [])
            {
                if (HostPattern.TryNormalize(host.Value, out var pattern, out var error))
                {
                    hosts.Add(pattern);
                }
                else
                {
                    r.Error(host.At, error);
                }
            }

            var (pathKind, path) = ReadPathMatch(r, table);

            var methods = new List<string>();
            foreach (var method in r.StringList(table, "methods") ?? [])
            {
                if (IsToken(method.Value))
                {
                    methods.Add(method.Value.ToUpperInvariant());
                }
                else
                {
                    r.Error(method.At, $"invalid method '{method.Value}': a method is an HTTP token such as GET");
                }
            }

            var headers = new List<KeyValuePair<string, string>>();
            if (r.Table(table, "headers") is { } headerTable)
            {
                foreach (var header in headerTable.Entries)
                {
                    if (!IsToken(header.Key))
                    {
                        r.Error(header.KeyPosition, $"invalid header name '{header.Key}'");
                    }
                    else if (header.Value is not TomlScalar { Value: string value })
                    {
                        r.Error(header.Value.Position, $"expected a string for header '{header.Key}', got {header.Value.TypeName}");
                    }
                    else if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
                    {
                        r.Error(header.Value.Position, $"header '{header.Key}' value must not contain CR, LF or NUL");
                    }
                    else
                    {
                        headers.Add(new(header.Key.ToLowerInvariant(), value));
                    }
                }
            }

            var transforms = ReadTransforms(r, table, pathKind, path);
            // A route that answers itself (redirect, direct_response) has no cluster: "" says so.
            string? cluster = transforms is { AnswersLocally: true } ? "" : null;
            // An ai route's upstream is picked per request from [[model]]: it names no cluster.
            var isAi = ReadAiRoute(r, table, name, ai);
            if (isAi)
            {
                cluster = "";
            }
            if (cluster is null && RequiredString(r, table, "cluster", context) is { } clusterText)
            {
                if (clusters.Names.Contains(clusterText.Value))
                {
                    cluster = clusterText.Value;
                }
                else
                {
                    r.Error(clusterText.At, $"route '{name}' names cluster '{clusterText.Value}' which is not defined");
                }
            }

            var stripPrefix = r.String(table, "strip_prefix");
            if (stripPrefix is not null && !stripPrefix.Value.StartsWith('/'))
            {
                r.Error(stripPrefix.At, $"'strip_prefix' must start with '/', got '{stripPrefix.Value}'");
            }

            var (rateLimits, concurrencyLimits) = ReadRouteLimits(r, table);
            var timeout = r.Duration(table, "timeout");
            var maxBodyBytes = r.Size(table, "max_body_bytes", 0, long.MaxValue);
            var auth = ReadRouteAuth(r, table, name, consumers);
            var webSocket = ReadRouteWebSocket(r, table, name);
            var streams = ReadRouteStreams(r, table);

            if (r.Errors.Count == errorsBefore && name is not null && cluster is not null)
            {
                routes.Add(new RouteModel
                {
                    Name = name,
                    Order = order,
                    Listeners = Compact(routeListeners),
                    Hosts = Compact(hosts),
                    PathKind = pathKind,
                    Path = path,
                    Methods = Compact(methods),
                    Headers = Compact(headers),
                    Cluster = cluster,
                    StripPrefix = stripPrefix?.Value,
                    // A model answering without a stream sends its head only when it has finished.
                    Timeout = timeout ?? (isAi ? ai.Ai.RequestDeadline : TimeSpan.FromSeconds(60)),
                    RateLimits = rateLimits,
                    ConcurrencyLimits = concurrencyLimits,
                    MaxBodyBytes = maxBodyBytes ?? defaults.MaxBodyBytes,
                    Auth = auth,
                    Transforms = transforms,
                    WebSocket = webSocket,
                    Streaming = streams.Streaming,
                    StreamIdleTimeout = streams.IdleTimeout,
                    MaxStreamDuration = streams.MaxDuration,
                    FirstByteTimeout = streams.FirstByteTimeout,
                    Ai = isAi,
                });
            }
        }

        return routes;
    }

    /// <summary>At most one of path, path_prefix and path_regex; a second one is reported at its key.</summary>
    // Optimized at once: it loops over every route of the file exactly once (see ConfigReader).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (PathMatchKind Kind, string Path) ReadPathMatch(ConfigReader r, TomlTableNode table)
    {
        TomlEntry? first = null;
        foreach (var entry in table.Entries)
        {
            if (!PathKeys.Contains(entry.Key))
            {
                continue;
            }

            if (first is null)
            {
                first = entry;
            }
            else
            {
                r.Error(entry.KeyPosition, $"'{entry.Key}' conflicts with '{first.Key}': a route takes only one of 'path', 'path_prefix' and 'path_regex'");
            }
        }

        if (first is null || r.String(table, first.Key) is not { } value)
        {
            return (PathMatchKind.Any, "");
        }

        if (first.Key == "path_regex")
        {
            try
            {
                _ = new Regex(value.Value, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                r.Error(value.At, $"invalid regex for 'path_regex': {e.Message}");
            }

            return (PathMatchKind.Regex, value.Value);
        }

        if (!value.Value.StartsWith('/'))
        {
            r.Error(value.At, $"'{first.Key}' must start with '/', got '{value.Value}'");
        }
        else if (NormalizedError(first.Key, value.Value) is { } normalizedError)
        {
            r.Error(value.At, normalizedError);
        }

        return (first.Key == "path" ? PathMatchKind.Exact : PathMatchKind.Prefix, value.Value);
    }

    /// <summary>
    /// Request paths are normalized before they are matched (docs/config.md, "Path normalization"),
    /// so a route path that normalization would change can never match: say so, with the form that
    /// would. Null when the path is already normalized.
    /// </summary>
    private static string? NormalizedError(string key, string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (!PathNormalizer.NeedsNormalization(bytes, mergeSlashes: false))
        {
            return null;
        }
        var normalized = new byte[bytes.Length];
        if (PathNormalizer.Normalize(bytes, normalized, mergeSlashes: false, EscapedSlashAction.Keep, out var written) != PathNormalizationResult.Ok)
        {
            return $"'{key}' has a '%' not followed by two hex digits: '{path}'";
        }
        var form = Encoding.UTF8.GetString(normalized, 0, written);
        return form == path
            ? null
            : $"'{key}' = '{path}' never matches: request paths are normalized before routing; write '{form}'";
    }

    /// <summary>
    /// An exact-size array, the shared empty one when empty: a model may hold 100,000 routes with
    /// four lists each, and a list with its wrapper costs about three times the bytes.
    /// </summary>
    private static T[] Compact<T>(List<T> list) => list.Count == 0 ? [] : list.ToArray();

    /// <summary>RFC 9110 section 5.6.2 token: method names and header field names.</summary>
    private static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));
}
