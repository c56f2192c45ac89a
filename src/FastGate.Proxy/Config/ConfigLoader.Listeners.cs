using System.Net;

namespace FastGate.Proxy.Config;

// [[listener]], [listener.tls] and [[listener.tls.sni]].
public static partial class ConfigLoader
{
    // The limit keys are spelled out: a static in another part of this class may not be initialized yet.
    private static readonly string[] ListenerKeys =
    [
        "name", "listen", "protocol", "cluster", "backlog", "max_connections", "tls",
        "max_header_bytes", "max_headers", "header_timeout", "idle_timeout", "max_body_bytes", "drain_timeout",
        "max_request_line_bytes", "reuse_port", "merge_slashes", "escaped_slashes", "trusted_proxies",
        "sni_route",
        "proxy_protocol", "proxy_protocol_from",
    ];

    private static readonly string[] TlsKeys = ["cert", "key", "alpn", "sni"];
    private static readonly string[] SniKeys = ["names", "cert", "key"];

    private static readonly Dictionary<string, ListenerProtocol> Protocols = new()
    {
        ["http"] = ListenerProtocol.Http,
        ["tcp"] = ListenerProtocol.Tcp,
        ["tls-passthrough"] = ListenerProtocol.TlsPassthrough,
    };

    /// <summary>Every declared listener name with its protocol (null when that was invalid), and the valid models.</summary>
    private sealed class ListenerSet
    {
        public Dictionary<string, ListenerProtocol?> Declared { get; } = new(StringComparer.Ordinal);
        public List<ListenerModel> Models { get; } = [];
    }

    private static ListenerSet ReadListeners(
        ConfigReader r, IReadOnlyList<TomlTableNode> tables, LimitsModel defaults, ClusterSet clusters, AdminModel admin)
    {
        const string context = "[[listener]]";
        var set = new ListenerSet();
        var names = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
        var bound = new List<(string Owner, IPEndPoint Endpoint)>();
        if (admin.Endpoint is not null)
        {
            bound.Add(("the admin listener", admin.Endpoint));
        }

        if (tables.Count == 0)
        {
            r.Error(SourcePosition.Start, "no [[listener]] defined: at least one is required");
        }

        foreach (var table in tables)
        {
            int errorsBefore = r.Errors.Count;
            r.CheckKeys(table, context, ListenerKeys);
            var name = ReadName(r, table, context, "listener", names);
            var protocol = table.Find("protocol") is null ? ListenerProtocol.Http : r.Choice(table, "protocol", Protocols);
            if (name is not null)
            {
                set.Declared.TryAdd(name, protocol);
            }

            IPEndPoint? endpoint = null;
            if (RequiredString(r, table, "listen", context) is { } listen)
            {
                if (!AddressParser.TryParseListen(listen.Value, out endpoint, out var error))
                {
                    r.Error(listen.At, $"{error} for 'listen'");
                }
                else if (bound.FirstOrDefault(b => Overlaps(b.Endpoint, endpoint)) is { Owner: not null } clash)
                {
                    r.Error(listen.At, $"listener '{name}' listens on {listen.Value}, which {clash.Owner} already uses");
                }
                else
                {
                    bound.Add(($"listener '{name}'", endpoint));
                }
            }

            string? cluster = null;
            var clusterText = r.String(table, "cluster");
            if (protocol == ListenerProtocol.Http && clusterText is not null)
            {
                r.Error(clusterText.At, "'cluster' is only for tcp and tls-passthrough listeners; http listeners pick a cluster per [[route]]");
            }
            else if (protocol is ListenerProtocol.Tcp or ListenerProtocol.TlsPassthrough)
            {
                if (table.Find("cluster") is null)
                {
                    r.Error(table.Position, $"listener '{name}' with protocol '{ProtocolName(protocol.Value)}' requires 'cluster'");
                }
                else if (clusterText is not null && !clusters.Names.Contains(clusterText.Value))
                {
                    r.Error(clusterText.At, $"listener '{name}' names cluster '{clusterText.Value}' which is not defined");
                }
                else
                {
                    cluster = clusterText?.Value;
                }
            }

            var backlog = r.Integer(table, "backlog", 1, int.MaxValue);
            var maxConnections = r.Integer(table, "max_connections", 0, int.MaxValue);
            var reusePort = r.Boolean(table, "reuse_port");
            var limits = ReadLimits(r, table, defaults);
            var sniRoutes = ReadSniRoutes(r, table, name, protocol, clusters);
            var proxyProtocol = ReadListenerProxyProtocol(r, table, name);

            TlsModel? tls = null;
            if (r.Table(table, "tls") is { } tlsTable)
            {
                if (protocol == ListenerProtocol.TlsPassthrough)
                {
                    r.Error(tlsTable.Position, "[listener.tls] is not allowed on a tls-passthrough listener: it forwards TLS unopened");
                }
                else
                {
                    tls = ReadTls(r, tlsTable);
                }
            }

            if (r.Errors.Count == errorsBefore && name is not null && endpoint is not null && protocol is not null)
            {
                set.Models.Add(new ListenerModel
                {
                    Name = name,
                    Endpoint = endpoint,
                    Protocol = protocol.Value,
                    Cluster = cluster,
                    Backlog = (int)(backlog ?? 511),
                    MaxConnections = (int)(maxConnections ?? 0),
                    ReusePort = reusePort ?? false,
                    Limits = limits,
                    Tls = tls,
                    SniRoutes = sniRoutes,
                    ProxyProtocol = proxyProtocol.Enabled,
                    ProxyProtocolFrom = proxyProtocol.From,
                });
            }
        }

        return set;
    }

    private static string ProtocolName(ListenerProtocol protocol) => Protocols.First(p => p.Value == protocol).Key;

    /// <summary>Same port and same address, or a wildcard address of the same family: bind would fail.</summary>
    private static bool Overlaps(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port
        && a.AddressFamily == b.AddressFamily
        && (a.Address.Equals(b.Address) || IsWildcard(a.Address) || IsWildcard(b.Address));

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static TlsModel? ReadTls(ConfigReader r, TomlTableNode table)
    {
        const string context = "[listener.tls]";
        int errorsBefore = r.Errors.Count;
        r.CheckKeys(table, context, TlsKeys);
        var cert = RequiredFile(r, table, "cert", context);
        var key = RequiredFile(r, table, "key", context);

        var alpn = new List<string>();
        foreach (var protocol in r.StringList(table, "alpn") ?? [])
        {
            if (protocol.Value.Length is 0 or > 255)
            {
                r.Error(protocol.At, "an ALPN protocol name must be 1 to 255 characters");
            }
            else
            {
                alpn.Add(protocol.Value);
            }
        }

        var sni = new List<TlsSniModel>();
        foreach (var sniTable in r.Tables(table, "sni"))
        {
            const string sniContext = "[[listener.tls.sni]]";
            r.CheckKeys(sniTable, sniContext, SniKeys);
            var hosts = new List<string>();
            if (sniTable.Find("names") is null)
            {
                r.Missing(sniTable, "names", sniContext);
            }

            foreach (var host in r.StringList(sniTable, "names") ?? [])
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

            var sniCert = RequiredFile(r, sniTable, "cert", sniContext);
            var sniKey = RequiredFile(r, sniTable, "key", sniContext);
            if (sniCert is not null && sniKey is not null)
            {
                sni.Add(new TlsSniModel { Names = hosts.AsReadOnly(), CertPath = sniCert, KeyPath = sniKey });
            }
        }

        if (r.Errors.Count != errorsBefore || cert is null || key is null)
        {
            return null;
        }

        return new TlsModel { CertPath = cert, KeyPath = key, Alpn = alpn.AsReadOnly(), Sni = sni.AsReadOnly() };
    }
}
