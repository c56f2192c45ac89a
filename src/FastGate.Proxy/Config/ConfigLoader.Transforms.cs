using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using FastGate.Core.Http;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Config;

// The route keys that change what goes upstream and comes back, or answer locally
// (docs/config.md, "Route transforms").
public static partial class ConfigLoader
{
    // In a nested class so that RouteKeys, in another part of this class, can spread it: static
    // fields of one class spread over files are initialized in an order the compiler picks.
    private static class Transform
    {
        public static readonly string[] Keys =
        [
            "request_headers", "response_headers", "rewrite", "host_rewrite", "redirect", "direct_response",
            "allow", "deny", "cors", "request_id",
        ];
    }

    private static readonly string[] HeaderTransformKeys = ["set", "add", "remove"];
    private static readonly string[] RewriteKeys = ["prefix", "regex", "replacement"];
    private static readonly string[] RedirectKeys = ["status", "location"];
    private static readonly string[] DirectResponseKeys = ["status", "body", "content_type"];
    private static readonly string[] CorsKeys =
        ["allow_origins", "allow_methods", "allow_headers", "expose_headers", "max_age", "allow_credentials"];

    /// <summary>Keys that shape the upstream request: meaningless on a route that answers itself.</summary>
    private static readonly string[] UpstreamOnlyKeys = ["cluster", "request_headers", "rewrite", "host_rewrite", "strip_prefix"];

    /// <summary>
    /// Fields a transform must not touch: they frame the message or belong to one connection
    /// (RFC 9110 §7.6.1, RFC 9112 §6), and the proxy writes them itself. The Host goes through
    /// host_rewrite, which is checked as an authority.
    /// </summary>
    private static readonly HashSet<string> ProtectedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
        "te", "trailer", "upgrade",
    };

    private static readonly int[] RedirectStatuses = [301, 302, 303, 307, 308];

    /// <summary>Reads the transform keys of one [[route]]; null when it has none.</summary>
    private static RouteTransformsModel? ReadTransforms(ConfigReader r, TomlTableNode table, PathMatchKind pathKind, string path)
    {
        var any = false;
        foreach (var key in Transform.Keys)
        {
            any |= table.Find(key) is not null;
        }
        if (!any)
        {
            return null;
        }

        var model = new RouteTransformsModel
        {
            Allow = ReadNetworks(r, table, "allow"),
            Deny = ReadNetworks(r, table, "deny"),
            Cors = r.Table(table, "cors") is { } cors ? ReadCors(r, cors) : null,
            RequestId = r.Boolean(table, "request_id") ?? false,
            RequestHeaders = r.Table(table, "request_headers") is { } request ? ReadHeaderTransform(r, request, "request_headers") : null,
            ResponseHeaders = r.Table(table, "response_headers") is { } response ? ReadHeaderTransform(r, response, "response_headers") : null,
            Rewrite = r.Table(table, "rewrite") is { } rewrite ? ReadRewrite(r, table, rewrite, pathKind, path) : null,
            HostRewrite = ReadHostRewrite(r, table),
            Redirect = r.Table(table, "redirect") is { } redirect ? ReadRedirect(r, redirect) : null,
            DirectResponse = r.Table(table, "direct_response") is { } direct ? ReadDirectResponse(r, direct) : null,
        };

        // A route either forwards or answers itself, as in Envoy (route, redirect or direct_response).
        // The first of redirect and direct_response written is the route's answer; conflicts are reported at the others.
        TomlEntry? answer = null;
        foreach (var entry in table.Entries)
        {
            if (entry.Key is "redirect" or "direct_response")
            {
                answer = entry;
                break;
            }
        }
        if (answer is not null)
        {
            foreach (var entry in table.Entries)
            {
                if (entry != answer && (entry.Key is "redirect" or "direct_response" || UpstreamOnlyKeys.Contains(entry.Key)))
                {
                    r.Error(entry.KeyPosition, $"'{entry.Key}' conflicts with '{answer.Key}': a route that answers itself sends nothing upstream");
                }
            }
        }
        return model;
    }

    private static IReadOnlyList<IPNetwork> ReadNetworks(ConfigReader r, TomlTableNode table, string key)
    {
        if (r.StringArray(table, key, "an array of addresses or CIDR blocks") is not { } items)
        {
            return [];
        }
        var networks = new List<IPNetwork>(items.Count);
        foreach (var item in items)
        {
            if (AddressParser.TryParseNetwork(item.Value, out var network, out var error))
            {
                networks.Add(network);
            }
            else
            {
                r.Error(item.At, $"{error} in '{key}'");
            }
        }
        return networks.AsReadOnly();
    }

    private static HeaderTransformModel ReadHeaderTransform(ConfigReader r, TomlTableNode table, string key)
    {
        r.CheckKeys(table, $"'{key}'", HeaderTransformKeys);
        var set = ReadHeaderValues(r, table, "set", key);
        var add = ReadHeaderValues(r, table, "add", key);
        var remove = new List<string>();
        foreach (var name in r.StringArray(table, "remove", "an array of header names") ?? [])
        {
            if (CheckHeaderName(r, name.Value, name.At, key))
            {
                remove.Add(name.Value.ToLowerInvariant());
            }
        }
        return new HeaderTransformModel { Set = Compact(set), Add = Compact(add), Remove = Compact(remove) };
    }

    private static List<KeyValuePair<string, string>> ReadHeaderValues(ConfigReader r, TomlTableNode table, string key, string context)
    {
        var values = new List<KeyValuePair<string, string>>();
        if (r.Table(table, key) is not { } fields)
        {
            return values;
        }
        foreach (var field in fields.Entries)
        {
            if (!CheckHeaderName(r, field.Key, field.KeyPosition, context))
            {
                continue;
            }
            if (field.Value is not TomlScalar { Value: string value })
            {
                r.Error(field.Value.Position, $"expected a string for header '{field.Key}', got {field.Value.TypeName}");
            }
            else if (CheckTemplate(r, value, field.Value.Position, $"header '{field.Key}'"))
            {
                values.Add(new(field.Key.ToLowerInvariant(), value));
            }
        }
        return values;
    }

    private static bool CheckHeaderName(ConfigReader r, string name, SourcePosition at, string context)
    {
        if (!IsToken(name))
        {
            r.Error(at, $"invalid header name '{name}' in '{context}'");
            return false;
        }
        if (ProtectedHeaders.Contains(name))
        {
            r.Error(at, name.Equals("host", StringComparison.OrdinalIgnoreCase)
                ? $"'{context}' cannot change 'host'; use 'host_rewrite'"
                : $"'{context}' cannot change '{name.ToLowerInvariant()}': the proxy writes it for each connection");
            return false;
        }
        return true;
    }

    private static bool CheckTemplate(ConfigReader r, string text, SourcePosition at, string what)
    {
        if (ValueTemplate.TryParse(text, "", out _, out var error))
        {
            return true;
        }
        r.Error(at, $"{what}: {error}");
        return false;
    }

    private static PathRewriteModel? ReadRewrite(ConfigReader r, TomlTableNode route, TomlTableNode table, PathMatchKind pathKind, string path)
    {
        r.CheckKeys(table, "'rewrite'", RewriteKeys);
        if (route.Find("strip_prefix") is { } strip)
        {
            r.Error(strip.KeyPosition, "'strip_prefix' conflicts with 'rewrite': write the whole new prefix in 'rewrite'");
        }
        var prefix = r.String(table, "prefix");
        var regex = r.String(table, "regex");
        var replacement = r.String(table, "replacement");
        if ((prefix is null) == (regex is null))
        {
            r.Error(table.Position, "'rewrite' takes either 'prefix' or 'regex' (with 'replacement')");
            return null;
        }

        if (prefix is not null)
        {
            if (replacement is not null)
            {
                r.Error(replacement.At, "'replacement' goes with 'regex', not with 'prefix'");
            }
            if (!prefix.Value.StartsWith('/') || !IsPathText(prefix.Value))
            {
                r.Error(prefix.At, $"'prefix' must be a path starting with '/' (no query, spaces or controls), got '{prefix.Value}'");
            }
            if (pathKind == PathMatchKind.Regex)
            {
                r.Error(prefix.At, "'rewrite' with 'prefix' replaces a matched 'path_prefix' or 'path'; this route matches 'path_regex': use 'regex' and 'replacement'");
            }
            return new PathRewriteModel { Prefix = prefix.Value, MatchedPrefix = pathKind == PathMatchKind.Any ? "/" : path };
        }

        try
        {
            _ = new Regex(regex!.Value, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            r.Error(regex!.At, $"invalid regex for 'rewrite': {e.Message}");
        }
        if (replacement is null)
        {
            r.Missing(table, "replacement", "'rewrite'");
        }
        else if (!IsPathText(replacement.Value))
        {
            r.Error(replacement.At, $"'replacement' must be path text (no query, spaces or controls), got '{replacement.Value}'");
        }
        return new PathRewriteModel { Regex = regex.Value, Replacement = replacement?.Value ?? "" };
    }

    /// <summary>Request-target bytes without '?' (the client's query is appended) and '#'.</summary>
    private static bool IsPathText(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return !bytes.AsSpan().ContainsAnyExcept(HttpChars.TargetChar) && !text.Contains('?');
    }

    private static string? ReadHostRewrite(ConfigReader r, TomlTableNode table)
    {
        if (r.String(table, "host_rewrite") is not { } host)
        {
            return null;
        }
        if (!HttpChars.IsValidAuthority(Encoding.UTF8.GetBytes(host.Value)))
        {
            r.Error(host.At, $"invalid 'host_rewrite' '{host.Value}': use host or host:port");
            return null;
        }
        return host.Value;
    }

    /// <summary>A model even when a key is wrong, so the route is still known to answer itself and no missing 'cluster' is reported on top.</summary>
    private static RedirectModel ReadRedirect(ConfigReader r, TomlTableNode table)
    {
        r.CheckKeys(table, "'redirect'", RedirectKeys);
        var status = 302;
        if (r.Integer(table, "status", 100, 599) is { } given)
        {
            if (Array.IndexOf(RedirectStatuses, (int)given) < 0)
            {
                r.Error(table.Find("status")!.Value.Position, $"'status' of 'redirect' must be 301, 302, 303, 307 or 308, got {given}");
            }
            status = (int)given;
        }
        var location = r.String(table, "location");
        if (location is null)
        {
            if (table.Find("location") is null)
            {
                r.Missing(table, "location", "'redirect'");
            }
        }
        else if (location.Value.Length == 0)
        {
            r.Error(location.At, "'location' must not be empty");
        }
        else
        {
            CheckTemplate(r, location.Value, location.At, "'location'");
        }
        return new RedirectModel { Status = status, Location = location?.Value ?? "" };
    }

    private static DirectResponseModel ReadDirectResponse(ConfigReader r, TomlTableNode table)
    {
        r.CheckKeys(table, "'direct_response'", DirectResponseKeys);
        var status = (int)(r.Integer(table, "status", 200, 599) ?? 200);
        var body = r.String(table, "body")?.Value ?? "";
        var contentType = r.String(table, "content_type");
        if (body.Length > 0 && status is 204 or 304)
        {
            r.Error(table.Find("body")!.KeyPosition, $"a {status} response has no body (RFC 9110 §15.3.5, §15.4.5)");
        }
        if (contentType is not null && (contentType.Value.Length == 0 || !HeaderEdits.IsFieldValue(Encoding.UTF8.GetBytes(contentType.Value))))
        {
            r.Error(contentType.At, $"invalid 'content_type' '{contentType.Value}'");
        }
        return new DirectResponseModel
        {
            Status = status,
            Body = body,
            ContentType = contentType?.Value ?? (body.Length > 0 ? "text/plain; charset=utf-8" : ""),
        };
    }

    private static CorsModel? ReadCors(ConfigReader r, TomlTableNode table)
    {
        const string context = "[route.cors]";
        r.CheckKeys(table, context, CorsKeys);
        var credentials = r.Boolean(table, "allow_credentials") ?? false;

        var origins = new List<string>();
        if (r.StringArray(table, "allow_origins", "an array of origins") is { } originList)
        {
            foreach (var origin in originList)
            {
                if (origin.Value == "*" && credentials)
                {
                    r.Error(origin.At, "allow_origins '*' cannot go with allow_credentials = true: browsers refuse credentials for any origin; list the origins");
                }
                else if (origin.Value != "*" && !IsOrigin(origin.Value))
                {
                    r.Error(origin.At, $"invalid origin '{origin.Value}': write scheme://host[:port] without a path, e.g. \"https://app.example.com\" or \"https://*.example.com\"");
                }
                else
                {
                    origins.Add(origin.Value.ToLowerInvariant());
                }
            }
            if (originList.Count == 0 && table.Find("allow_origins") is { } empty)
            {
                r.Error(empty.Value.Position, "'allow_origins' must list at least one origin");
            }
        }
        else if (table.Find("allow_origins") is null)
        {
            r.Missing(table, "allow_origins", context);
        }

        var methods = new List<string>();
        foreach (var method in r.StringArray(table, "allow_methods", "an array of methods") ?? [new LocatedString("GET", default), new("HEAD", default), new("POST", default)])
        {
            if (IsToken(method.Value))
            {
                methods.Add(method.Value.ToUpperInvariant());
            }
            else
            {
                r.Error(method.At, $"invalid method '{method.Value}' in 'allow_methods'");
            }
        }

        var maxAge = r.Duration(table, "max_age", allowZero: true);
        return new CorsModel
        {
            AllowOrigins = Compact(origins),
            AllowMethods = Compact(methods),
            AllowHeaders = ReadFieldNames(r, table, "allow_headers", allowStar: true),
            ExposeHeaders = ReadFieldNames(r, table, "expose_headers", allowStar: false),
            MaxAge = maxAge,
            AllowCredentials = credentials,
        };
    }

    private static string[] ReadFieldNames(ConfigReader r, TomlTableNode table, string key, bool allowStar)
    {
        var names = new List<string>();
        foreach (var name in r.StringArray(table, key, "an array of header names") ?? [])
        {
            if (IsToken(name.Value) && (allowStar || name.Value != "*"))
            {
                names.Add(name.Value.ToLowerInvariant());
            }
            else
            {
                r.Error(name.At, $"invalid header name '{name.Value}' in '{key}'");
            }
        }
        return Compact(names);
    }

    /// <summary>
    /// A serialized origin (RFC 6454 §6.2): scheme "://" host [":" port], nothing after. The host may
    /// start with "*." to take every subdomain.
    /// </summary>
    private static bool IsOrigin(string text)
    {
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0 || !text[..separator].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            return false;
        }
        var authority = text[(separator + 3)..];
        if (authority.StartsWith("*.", StringComparison.Ordinal))
        {
            authority = authority[2..];
        }
        return authority.Length > 0 && !authority.Contains('*') && HttpChars.IsValidAuthority(Encoding.UTF8.GetBytes(authority));
    }
}
