using System.Text;

namespace FastGate.Proxy.Config;

// A route's auth, anonymous, api_key_header, api_key_query, forward_credentials and [route.jwt].
public static partial class ConfigLoader
{
    /// <summary>The route keys that only mean something with <c>auth</c>.</summary>
    private static readonly string[] AuthOnlyRouteKeys = ["anonymous", "api_key_header", "api_key_query", "forward_credentials", "jwt"];

    private static readonly string[] JwtKeys =
        ["issuer", "audience", "jwks", "public_key", "secret", "algorithms", "leeway", "claims_to_headers", "max_token_bytes"];

    private static readonly string[] JwtKeySources = ["jwks", "public_key", "secret"];

    private static readonly Dictionary<string, AuthMethod> AuthMethods = new(StringComparer.Ordinal)
    {
        ["api_key"] = AuthMethod.ApiKey,
        ["jwt"] = AuthMethod.Jwt,
        ["basic"] = AuthMethod.Basic,
    };

    private static readonly Dictionary<string, JwtAlgorithm> JwtAlgorithms = new(StringComparer.Ordinal)
    {
        ["HS256"] = JwtAlgorithm.HS256,
        ["RS256"] = JwtAlgorithm.RS256,
        ["ES256"] = JwtAlgorithm.ES256,
    };

    /// <summary>
    /// Headers a claim must not be copied into: they frame the request or route it, and a token's
    /// claim must not be able to change either.
    /// </summary>
    private static readonly HashSet<string> ReservedClaimHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive",
        "proxy-connection", "expect",
    };

    /// <summary>An HMAC key shorter than the hash is below the strength HS256 promises (RFC 7518 §3.2).</summary>
    private const int MinHmacSecretBytes = 32;

    private const int DefaultMaxTokenBytes = 8 * 1024;

    private static RouteAuthModel? ReadRouteAuth(ConfigReader r, TomlTableNode table, string? routeName, ConsumerIndex consumers)
    {
        var authEntry = table.Find("auth");
        if (authEntry is null)
        {
            foreach (var key in AuthOnlyRouteKeys)
            {
                if (table.Find(key) is { } entry)
                {
                    r.Error(entry.KeyPosition, $"route '{routeName}': '{key}' needs 'auth' on the route (e.g. auth = [\"api_key\"])");
                }
            }
            return null;
        }

        int errorsBefore = r.Errors.Count;
        var methods = new List<AuthMethod>();
        var methodItems = r.StringArray(table, "auth", "an array like [\"api_key\", \"jwt\", \"basic\"]");
        if (methodItems is { Count: 0 })
        {
            r.Error(authEntry.Value.Position, "'auth' must list at least one of \"api_key\", \"jwt\", \"basic\"; remove it to let anyone in");
        }
        foreach (var item in methodItems ?? [])
        {
            if (!AuthMethods.TryGetValue(item.Value, out var method))
            {
                var suggestion = EditDistance.Closest(item.Value, AuthMethods.Keys);
                r.Error(item.At, suggestion is null
                    ? $"invalid auth method '{item.Value}'; expected one of: api_key, jwt, basic"
                    : $"invalid auth method '{item.Value}'; did you mean '{suggestion}'? expected one of: api_key, jwt, basic");
            }
            else if (methods.Contains(method))
            {
                r.Error(item.At, $"auth method '{item.Value}' is listed twice");
            }
            else if (method == AuthMethod.ApiKey && !consumers.HasApiKeys)
            {
                r.Error(item.At, $"route '{routeName}' accepts API keys but no [consumer] has 'keys'");
            }
            else if (method == AuthMethod.Basic && !consumers.HasBasicUsers)
            {
                r.Error(item.At, $"route '{routeName}' accepts basic auth but no [consumer] has 'basic_username'");
            }
            else
            {
                methods.Add(method);
            }
        }

        var anonymous = r.Boolean(table, "anonymous") ?? false;
        var forwardCredentials = r.Boolean(table, "forward_credentials") ?? false;
        // What the route asked for, even when that method was refused above, so one mistake is reported once.
        bool listsApiKey = Lists(methodItems, "api_key");
        bool wantsJwt = Lists(methodItems, "jwt");
        var apiKeyHeader = ReadApiKeyHeader(r, table, listsApiKey || methodItems is null);
        var apiKeyQuery = ReadApiKeyQuery(r, table, listsApiKey || methodItems is null);

        JwtModel? jwt = null;
        var jwtTable = r.Table(table, "jwt");
        if (jwtTable is not null)
        {
            if (!wantsJwt)
            {
                r.Error(table.Find("jwt")!.KeyPosition, $"route '{routeName}' has [route.jwt] but 'auth' does not list \"jwt\"");
            }
            jwt = ReadJwt(r, jwtTable, routeName);
        }
        else if (wantsJwt)
        {
            r.Error(authEntry.Value.Position, $"route '{routeName}' accepts JWTs: add [route.jwt] with 'jwks', 'public_key' or 'secret'");
        }

        if (r.Errors.Count != errorsBefore)
        {
            return null;
        }

        return new RouteAuthModel
        {
            Methods = methods.ToArray(),
            Anonymous = anonymous,
            ApiKeyHeader = apiKeyHeader,
            ApiKeyQuery = apiKeyQuery,
            ForwardCredentials = forwardCredentials,
            Jwt = jwt,
        };
    }

    private static bool Lists(IReadOnlyList<LocatedString>? items, string method)
    {
        foreach (var item in items ?? [])
        {
            if (item.Value == method)
            {
                return true;
            }
        }
        return false;
    }

    private static string? ReadApiKeyHeader(ConfigReader r, TomlTableNode table, bool acceptsApiKey)
    {
        if (r.String(table, "api_key_header") is not { } header)
        {
            return null;
        }
        if (!IsToken(header.Value))
        {
            r.Error(header.At, $"invalid header name '{header.Value}' for 'api_key_header'");
            return null;
        }
        if (header.Value.Equals("authorization", StringComparison.OrdinalIgnoreCase))
        {
            r.Error(header.At, "'api_key_header' cannot be 'authorization': a Bearer key is always read from it");
            return null;
        }
        if (!acceptsApiKey)
        {
            r.Error(table.Find("api_key_header")!.KeyPosition, "'api_key_header' needs \"api_key\" in 'auth'");
            return null;
        }
        return header.Value.ToLowerInvariant();
    }

    private static string? ReadApiKeyQuery(ConfigReader r, TomlTableNode table, bool acceptsApiKey)
    {
        if (r.String(table, "api_key_query") is not { } query)
        {
            return null;
        }
        // Unreserved characters (RFC 3986 §2.3) only: the name is matched as sent, without decoding.
        if (query.Value.Length == 0 || !query.Value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~'))
        {
            r.Error(query.At, $"invalid query parameter name '{query.Value}' for 'api_key_query': use letters, digits, '-', '_', '.' or '~'");
            return null;
        }
        if (!acceptsApiKey)
        {
            r.Error(table.Find("api_key_query")!.KeyPosition, "'api_key_query' needs \"api_key\" in 'auth'");
            return null;
        }
        return query.Value;
    }

    private static JwtModel? ReadJwt(ConfigReader r, TomlTableNode table, string? routeName)
    {
        const string context = "[route.jwt]";
        int errorsBefore = r.Errors.Count;
        r.CheckKeys(table, context, JwtKeys);

        var issuer = r.String(table, "issuer");
        if (issuer is { Value.Length: 0 })
        {
            r.Error(issuer.At, "'issuer' must not be empty; remove it to accept any issuer");
        }

        var audiences = new List<string>();
        foreach (var audience in r.StringList(table, "audience") ?? [])
        {
            if (audience.Value.Length == 0)
            {
                r.Error(audience.At, "'audience' must not be empty");
            }
            else
            {
                audiences.Add(audience.Value);
            }
        }

        var keys = ReadJwtKeys(r, table, routeName, out bool fromJwks);

        JwtAlgorithm available = JwtAlgorithm.None;
        foreach (var key in keys)
        {
            available |= key.Algorithm;
        }
        var algorithms = available;
        if (r.StringArray(table, "algorithms", "an array like [\"RS256\"]") is { } algorithmItems)
        {
            algorithms = JwtAlgorithm.None;
            foreach (var item in algorithmItems)
            {
                if (!JwtAlgorithms.TryGetValue(item.Value, out var algorithm))
                {
                    r.Error(item.At, item.Value.Equals("none", StringComparison.OrdinalIgnoreCase)
                        ? "algorithm 'none' accepts unsigned tokens and is never allowed"
                        : $"algorithm '{item.Value}' is not served; expected one of: HS256, RS256, ES256");
                }
                else if (keys.Count > 0 && (available & algorithm) == 0)
                {
                    r.Error(item.At, $"algorithm '{item.Value}' has no key of its type here ({KeySourceHint(algorithm)})");
                }
                else
                {
                    algorithms |= algorithm;
                }
            }
            if (algorithmItems.Count == 0)
            {
                r.Error(table.Find("algorithms")!.Value.Position, "'algorithms' must not be empty; remove it to allow what the key's type signs");
            }
        }

        var leeway = r.Duration(table, "leeway", allowZero: true) ?? TimeSpan.FromSeconds(30);
        var maxTokenBytes = r.Size(table, "max_token_bytes", 64, 1024 * 1024) ?? DefaultMaxTokenBytes;

        var claims = new List<KeyValuePair<string, string>>();
        if (r.Table(table, "claims_to_headers") is { } claimTable)
        {
            foreach (var claim in claimTable.Entries)
            {
                if (claim.Value is not TomlScalar { Value: string header })
                {
                    r.Error(claim.Value.Position, $"expected a header name for claim '{claim.Key}', got {claim.Value.TypeName}");
                }
                else if (!IsToken(header))
                {
                    r.Error(claim.Value.Position, $"invalid header name '{header}' for claim '{claim.Key}'");
                }
                else if (ReservedClaimHeaders.Contains(header))
                {
                    r.Error(claim.Value.Position, $"claim '{claim.Key}' cannot be copied into '{header}': it frames or routes the request");
                }
                else
                {
                    claims.Add(new(claim.Key, header.ToLowerInvariant()));
                }
            }
        }

        if (r.Errors.Count != errorsBefore || keys.Count == 0)
        {
            return null;
        }

        return new JwtModel
        {
            Issuer = issuer?.Value,
            Audiences = audiences.ToArray(),
            Keys = keys.ToArray(),
            FromJwks = fromJwks,
            Algorithms = algorithms,
            Leeway = leeway,
            ClaimsToHeaders = claims.ToArray(),
            MaxTokenBytes = (int)maxTokenBytes,
        };
    }

    /// <summary>Exactly one of jwks, public_key and secret; the keys are read now, so a bad file fails the load.</summary>
    private static List<JwtKey> ReadJwtKeys(ConfigReader r, TomlTableNode table, string? routeName, out bool fromJwks)
    {
        fromJwks = false;
        var keys = new List<JwtKey>();
        TomlEntry? source = null;
        foreach (var entry in table.Entries)
        {
            if (!JwtKeySources.Contains(entry.Key))
            {
                continue;
            }
            if (source is null)
            {
                source = entry;
            }
            else
            {
                r.Error(entry.KeyPosition, $"'{entry.Key}' conflicts with '{source.Key}': [route.jwt] takes one of 'jwks', 'public_key' and 'secret'");
            }
        }

        switch (source?.Key)
        {
            case null:
                r.Error(table.Position, $"route '{routeName}': [route.jwt] needs one of 'jwks', 'public_key' or 'secret'");
                break;
            case "secret":
                if (r.Secret(table, "secret") is { } secret)
                {
                    var bytes = Encoding.UTF8.GetBytes(secret);
                    if (bytes.Length < MinHmacSecretBytes)
                    {
                        r.Error(source.Value.Position, $"'secret' is {bytes.Length} bytes; HS256 needs at least {MinHmacSecretBytes}");
                    }
                    else
                    {
                        keys.Add(JwtKey.Hmac(bytes));
                    }
                }
                break;
            case "public_key":
                if (r.ExistingFile(table, "public_key") is { } pem)
                {
                    if (JwtKeyReader.TryReadPem(pem, out var key, out var error))
                    {
                        keys.Add(key);
                    }
                    else
                    {
                        r.Error(source.Value.Position, $"{error} for 'public_key'");
                    }
                }
                break;
            case "jwks":
                if (r.ExistingFile(table, "jwks") is { } jwks)
                {
                    if (JwtKeyReader.TryReadJwks(jwks, out var jwksKeys, out var error))
                    {
                        keys.AddRange(jwksKeys);
                        fromJwks = true;
                    }
                    else
                    {
                        r.Error(source.Value.Position, $"{error} for 'jwks'");
                    }
                }
                break;
        }

        return keys;
    }

    private static string KeySourceHint(JwtAlgorithm algorithm) => algorithm switch
    {
        JwtAlgorithm.HS256 => "HS256 needs 'secret'",
        JwtAlgorithm.RS256 => "RS256 needs an RSA key",
        _ => "ES256 needs an EC P-256 key",
    };
}
