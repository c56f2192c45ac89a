namespace FastGate.Proxy.Config;

// [cluster.NAME] and [[cluster.NAME.endpoint]]; its resilience tables are in ConfigLoader.Resilience.cs.
public static partial class ConfigLoader
{
    private static readonly string[] ClusterKeys =
        ["endpoints", "endpoint", "lb", "connect_timeout", "max_idle_connections", "idle_timeout",
         "panic_threshold", "slow_start", "dns_refresh", "health", "outlier", "retry", "circuit",
         "tls", "sni", "ca", "tls_verify", "tls_cert", "tls_key", "tls_min_version",
         "proxy_protocol", "protocol", "max_streams_per_connection"];

    private static readonly string[] EndpointKeys = ["address", "weight"];

    private static readonly Dictionary<string, LoadBalancingAlgorithm> Algorithms = new()
    {
        ["round_robin"] = LoadBalancingAlgorithm.RoundRobin,
        ["weighted_round_robin"] = LoadBalancingAlgorithm.WeightedRoundRobin,
        ["least_request"] = LoadBalancingAlgorithm.LeastRequest,
        ["p2c"] = LoadBalancingAlgorithm.P2c,
        ["ring_hash"] = LoadBalancingAlgorithm.RingHash,
        ["maglev"] = LoadBalancingAlgorithm.Maglev,
        ["random"] = LoadBalancingAlgorithm.Random,
        ["peak_ewma"] = LoadBalancingAlgorithm.PeakEwma,
    };

    /// <summary>
    /// Every declared cluster name, valid or not, so that a broken cluster is reported once and not
    /// again by every route that names it; and the models of the valid ones.
    /// </summary>
    private sealed class ClusterSet
    {
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, ClusterModel> Models { get; } = new(StringComparer.Ordinal);
    }

    private static ClusterSet ReadClusters(ConfigReader r, TomlTableNode root)
    {
        var set = new ClusterSet();
        var clusters = r.Table(root, "cluster");
        if (clusters is null)
        {
            return set;
        }

        foreach (var entry in clusters.Entries)
        {
            var name = entry.Key;
            set.Names.Add(name);
            if (!r.TryNamedTable(entry, "cluster", out var table))
            {
                continue;
            }

            if (ReadCluster(r, name, table) is { } model)
            {
                set.Models.Add(name, model);
            }
        }

        return set;
    }

    private static ClusterModel? ReadCluster(ConfigReader r, string name, TomlTableNode table)
    {
        var context = $"[cluster.{name}]";
        int errorsBefore = r.Errors.Count;
        r.CheckKeys(table, context, ClusterKeys);

        var endpoints = new List<EndpointModel>();
        var seen = new Dictionary<string, SourcePosition>(StringComparer.OrdinalIgnoreCase);
        void AddEndpoint(LocatedString address, int weight)
        {
            if (!AddressParser.TryParseUpstream(address.Value, out var endpoint, out var error))
            {
                r.Error(address.At, error);
                return;
            }

            // The address as written is the endpoint's identity across reloads: two alike would share it.
            if (seen.TryGetValue(address.Value, out var first))
            {
                r.Error(address.At, $"duplicate endpoint '{address.Value}' in {context} (first at line {first.Line})");
                return;
            }

            seen.Add(address.Value, address.At);
            endpoints.Add(new EndpointModel
            {
                Address = address.Value,
                EndPoint = endpoint,
                HostHeader = address.Value,
                Weight = weight,
            });
        }

        foreach (var address in r.StringArray(table, "endpoints", "an array of addresses") ?? [])
        {
            AddEndpoint(address, 1);
        }

        var endpointContext = $"[[cluster.{name}.endpoint]]";
        foreach (var endpointTable in r.Tables(table, "endpoint"))
        {
            r.CheckKeys(endpointTable, endpointContext, EndpointKeys);
            var weight = r.Integer(endpointTable, "weight", 1, 10_000) ?? 1;
            if (RequiredString(r, endpointTable, "address", endpointContext) is { } address)
            {
                AddEndpoint(address, (int)weight);
            }
        }

        // `endpoints = []` written out is a cluster deliberately emptied (maintenance: every request
        // gets 503); a cluster that never mentions endpoints is more likely a mistake.
        if (endpoints.Count == 0 && r.Errors.Count == errorsBefore && table.Find("endpoints") is null)
        {
            r.Error(table.Position, $"cluster '{name}' has no endpoints: set 'endpoints' or add [[cluster.{name}.endpoint]]");
        }

        var cluster = new ClusterModel { Name = name, Endpoints = endpoints.AsReadOnly() };
        if (r.Choice(table, "lb", Algorithms) is { } algorithm)
        {
            cluster = cluster with { LoadBalancing = algorithm };
        }

        if (r.Duration(table, "connect_timeout") is { } connectTimeout)
        {
            cluster = cluster with { ConnectTimeout = connectTimeout };
        }

        if (r.Integer(table, "max_idle_connections", 0, int.MaxValue) is { } maxIdle)
        {
            cluster = cluster with { MaxIdleConnections = (int)maxIdle };
        }

        if (r.Duration(table, "idle_timeout") is { } idleTimeout)
        {
            cluster = cluster with { IdleTimeout = idleTimeout };
        }

        if (r.Percent(table, "panic_threshold") is { } panic)
        {
            cluster = cluster with { PanicThresholdPercent = panic };
        }

        if (r.Duration(table, "slow_start", allowZero: true) is { } slowStart)
        {
            cluster = cluster with { SlowStart = slowStart };
        }

        if (r.Duration(table, "dns_refresh") is { } dnsRefresh)
        {
            cluster = cluster with { DnsRefresh = dnsRefresh };
        }

        if (ReadClusterProxyProtocol(r, table) is { } proxyProtocol)
        {
            cluster = cluster with { ProxyProtocol = proxyProtocol };
        }

        cluster = ReadResilience(r, name, table, cluster);
        cluster = ReadUpstreamTls(r, name, table, cluster);
        cluster = ReadUpstreamProtocol(r, name, table, cluster);
        if (cluster is { ProxyProtocol: { } version, Health: { } health })
        {
            cluster = cluster with { Health = health with { ProxyProtocol = version } };
        }
        return r.Errors.Count == errorsBefore ? cluster : null;
    }
}
