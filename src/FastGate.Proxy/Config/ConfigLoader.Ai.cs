namespace FastGate.Proxy.Config;

// [ai], [provider.NAME], [[model]] and a route's ai = true: the AI gateway's tables.
public static partial class ConfigLoader
{
    private static readonly string[] AiKeys = ["ledger", "ledger_fsync_interval", "max_request_bytes", "request_deadline", "drain_timeout", "max_drains"];
    private static readonly string[] ProviderKeys = ["kind", "base_url", "api_key", "api_version", "timeout"];
    private static readonly string[] ModelKeys = ["name", "targets", "price"];
    private static readonly string[] PriceKeys = ["input", "cached_input", "output"];

    private static readonly Dictionary<string, ProviderKind> ProviderKinds = new()
    {
        ["openai"] = ProviderKind.OpenAi,
        ["azure-openai"] = ProviderKind.AzureOpenAi,
        ["anthropic"] = ProviderKind.Anthropic,
        ["gemini"] = ProviderKind.Gemini,
        ["ollama"] = ProviderKind.Ollama,
        ["openai-compatible"] = ProviderKind.OpenAiCompatible,
    };

    /// <summary>
    /// The prefix of the cluster made for a provider's base URL. ':' is not allowed in a cluster
    /// name the file declares, so the made one can never clash with a user's.
    /// </summary>
    public const string ProviderClusterPrefix = "provider:";

    /// <summary>What the AI tables hold, read before the routes so an ai route can be checked against them.</summary>
    private sealed class AiTables
    {
        public AiModel Ai { get; init; } = new();
        public Dictionary<string, ProviderModel> Providers { get; } = new(StringComparer.Ordinal);
        public List<ModelMapModel> Models { get; } = [];
        public int ModelsDeclared { get; set; }
    }

    private static AiTables ReadAiTables(ConfigReader r, TomlTableNode root, ClusterSet clusters)
    {
        var tables = new AiTables { Ai = ReadAi(r, r.Table(root, "ai")) };
        var providers = r.Table(root, "provider");
        if (providers is not null)
        {
            foreach (var entry in providers.Entries)
            {
                var name = entry.Key;
                if (!r.TryNamedTable(entry, "provider", out var table))
                {
                    continue;
                }
                if (ReadProvider(r, name, table) is var (provider, cluster))
                {
                    tables.Providers.Add(name, provider);
                    clusters.Names.Add(cluster.Name);
                    clusters.Models.Add(cluster.Name, cluster);
                }
            }
        }

        var models = r.Tables(root, "model");
        tables.ModelsDeclared = models.Count;
        foreach (var table in models)
        {
            if (ReadModelMap(r, table, providers) is { } model)
            {
                tables.Models.Add(model);
            }
        }
        return tables;
    }

    private static AiModel ReadAi(ConfigReader r, TomlTableNode? table)
    {
        var ai = new AiModel();
        if (table is null)
        {
            return ai;
        }
        r.CheckKeys(table, "[ai]", AiKeys);
        if (r.String(table, "ledger") is { } ledger)
        {
            if (ledger.Value.Length == 0)
            {
                r.Error(ledger.At, "'ledger' must not be empty");
            }
            else
            {
                ai = ai with { LedgerPath = r.ResolvePath(ledger.Value) };
            }
        }
        if (r.Duration(table, "ledger_fsync_interval") is { } fsync)
        {
            ai = ai with { LedgerFsyncInterval = fsync };
        }
        if (r.Size(table, "max_request_bytes", 1, int.MaxValue) is { } maxRequest)
        {
            ai = ai with { MaxRequestBytes = maxRequest };
        }
        if (r.Duration(table, "request_deadline") is { } deadline)
        {
            ai = ai with { RequestDeadline = deadline };
        }
        if (r.Duration(table, "drain_timeout", allowZero: true) is { } drain)
        {
            ai = ai with { DrainTimeout = drain };
        }
        if (r.Integer(table, "max_drains", 0, 1_000_000) is { } maxDrains)
        {
            ai = ai with { MaxDrains = (int)maxDrains };
        }
        return ai;
    }

    private static (ProviderModel Provider, ClusterModel Cluster)? ReadProvider(ConfigReader r, string name, TomlTableNode table)
    {
        var context = $"[provider.{name}]";
        var errorsBefore = r.Errors.Count;
        r.CheckKeys(table, context, ProviderKeys);
        ProviderKind? kind = table.Find("kind") is null ? null : r.Choice(table, "kind", ProviderKinds);
        if (table.Find("kind") is null)
        {
            r.Missing(table, "kind", context);
        }

        Uri? baseUrl = null;
        if (RequiredString(r, table, "base_url", context) is { } urlText)
        {
            if (!Uri.TryCreate(urlText.Value, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
                || url.Host.Length == 0 || url.Query.Length > 0 || url.Fragment.Length > 0 || url.UserInfo.Length > 0)
            {
                r.Error(urlText.At, $"'base_url' must be an http:// or https:// URL with a host and no query, got '{urlText.Value}'");
            }
            else if (url.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal))
            {
                r.Error(urlText.At, $"'base_url' is written without /v1 (the API paths are added per request), got '{urlText.Value}'");
            }
            else
            {
                baseUrl = url;
            }
        }

        var keys = new List<string>();
        foreach (var key in r.StringList(table, "api_key") ?? [])
        {
            if (!SecretResolver.TryResolve(key.Value, r.BaseDirectory, out var value, out var error))
            {
                r.Error(key.At, $"{error} for 'api_key'");
            }
            else if (value.Length == 0 || !Forwarding.HeaderEdits.IsFieldValue(System.Text.Encoding.UTF8.GetBytes(value)))
            {
                r.Error(key.At, "'api_key' must be a non-empty value without control characters");
            }
            else
            {
                keys.Add(value);
            }
        }

        var apiVersion = r.String(table, "api_version");
        if (apiVersion is not null && (apiVersion.Value.Length == 0 || !apiVersion.Value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')))
        {
            r.Error(apiVersion.At, $"'api_version' must be letters, digits, '-', '.' or '_', got '{apiVersion.Value}'");
        }
        if (kind == ProviderKind.AzureOpenAi && apiVersion is null)
        {
            r.Error(table.Position, $"provider '{name}' is azure-openai: set 'api_version' (for example \"2024-10-21\")");
        }
        var timeout = r.Duration(table, "timeout");

        if (r.Errors.Count != errorsBefore || kind is null || baseUrl is null)
        {
            return null;
        }

        var https = baseUrl.Scheme == "https";
        var host = baseUrl.IdnHost;
        var address = baseUrl.HostNameType == UriHostNameType.IPv6 ? $"[{host}]:{baseUrl.Port}" : $"{host}:{baseUrl.Port}";
        if (!AddressParser.TryParseUpstream(address, out var endpoint, out var addressError))
        {
            r.Error(table.Find("base_url")!.Value.Position, addressError);
            return null;
        }
        var clusterName = ProviderClusterPrefix + name;
        var cluster = new ClusterModel
        {
            Name = clusterName,
            Endpoints = [new EndpointModel { Address = address, EndPoint = endpoint, HostHeader = baseUrl.Authority }],
            LoadBalancing = LoadBalancingAlgorithm.RoundRobin,
            // One try per target: falling back to the next provider is the AI stage's retry.
            Retry = new RetryModel { Attempts = 1, On = RetryConditions.None, PerTryTimeout = timeout ?? TimeSpan.FromSeconds(120) },
            // A provider is one endpoint, and its failures are often one model's (a 429 on one
            // deployment): it is always tried, and the AI stage falls back per request instead.
            PanicThresholdPercent = 100,
            Tls = https ? new UpstreamTlsModel { Identity = $"-|system|verify|-|{(int)(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)}" } : null,
        };
        var provider = new ProviderModel
        {
            Name = name,
            Kind = kind.Value,
            BaseUrl = baseUrl,
            ApiKeys = keys.AsReadOnly(),
            ApiVersion = apiVersion?.Value ?? (kind == ProviderKind.Anthropic ? "2023-06-01" : null),
            Cluster = clusterName,
            Timeout = timeout ?? TimeSpan.FromSeconds(120),
        };
        return (provider, cluster);
    }

    private static ModelMapModel? ReadModelMap(ConfigReader r, TomlTableNode table, TomlTableNode? providers)
    {
        const string context = "[[model]]";
        var errorsBefore = r.Errors.Count;
        r.CheckKeys(table, context, ModelKeys);
        var name = RequiredString(r, table, "name", context);
        if (name is not null && (name.Value.Length == 0 || name.Value.Length > 256 || name.Value.Any(char.IsControl)))
        {
            r.Error(name.At, $"'name' must be 1 to 256 characters without control characters, got '{name.Value}'");
        }

        var targets = new List<ModelTargetModel>();
        var list = r.StringList(table, "targets");
        if (list is null && table.Find("targets") is null)
        {
            r.Missing(table, "targets", context);
        }
        else if (list is { Count: 0 })
        {
            r.Error(table.Find("targets")!.Value.Position, $"model '{name?.Value}' has no targets: name at least one \"provider/model\"");
        }
        foreach (var target in list ?? [])
        {
            var slash = target.Value.IndexOf('/');
            if (slash <= 0 || slash == target.Value.Length - 1)
            {
                r.Error(target.At, $"a target is \"provider/model\", got '{target.Value}'");
                continue;
            }
            var provider = target.Value[..slash];
            if (providers?.Find(provider) is null)
            {
                r.Error(target.At, $"target '{target.Value}' names provider '{provider}' which is not defined ([provider.{provider}])");
                continue;
            }
            targets.Add(new ModelTargetModel(provider, target.Value[(slash + 1)..]));
        }

        var price = new ModelPriceModel();
        if (r.Table(table, "price") is { } priceTable)
        {
            r.CheckKeys(priceTable, "price", PriceKeys);
            price = new ModelPriceModel
            {
                Input = Price(r, priceTable, "input"),
                CachedInput = Price(r, priceTable, "cached_input"),
                Output = Price(r, priceTable, "output"),
            };
        }

        return r.Errors.Count == errorsBefore && name is not null
            ? new ModelMapModel { Name = name.Value, Targets = targets.AsReadOnly(), Price = price }
            : null;
    }

    /// <summary>USD per million tokens: a number, integer or not, zero or more.</summary>
    private static decimal Price(ConfigReader r, TomlTableNode table, string key)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return 0;
        }
        decimal? value = entry.Value switch
        {
            TomlScalar { Value: long l } => l,
            TomlScalar { Value: double d } when double.IsFinite(d) && Math.Abs(d) < 1e12 => (decimal)d,
            _ => null,
        };
        if (value is not { } price || price < 0)
        {
            r.Error(entry.Value.Position, $"'{key}' must be a price in USD per million tokens (a number, 0 or more)");
            return 0;
        }
        return price;
    }

    /// <summary>A route's <c>ai = true</c>: it needs [[model]] entries to serve and takes no cluster of its own.</summary>
    private static bool ReadAiRoute(ConfigReader r, TomlTableNode table, string? name, AiTables ai)
    {
        if (r.Boolean(table, "ai") != true)
        {
            return false;
        }
        var at = table.Find("ai")!.Value.Position;
        if (table.Find("cluster") is { } cluster)
        {
            r.Error(cluster.KeyPosition, $"route '{name}' is an ai route: it takes no 'cluster' ([[model]] targets pick the provider per request)");
        }
        if (ai.ModelsDeclared == 0)
        {
            r.Error(at, $"route '{name}' is an ai route but no [[model]] is defined: add [[model]] entries naming provider/model targets");
        }
        return true;
    }
}
