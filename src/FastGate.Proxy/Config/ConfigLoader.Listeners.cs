using System.Net;
using System.Security.Authentication;
using FastGate.Proxy.Tls;

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
        "min_request_body_rate", "min_response_rate", "min_rate_window", "max_connections_per_client",
        "h2c",
    ];

    private static readonly string[] TlsKeys = ["cert", "key", "alpn", "sni", "min_version", "client_auth", "client_ca", "handshake_timeout", "session_ticket_rotation"];

    // A ticket key opens tickets for up to two rotations: longer than a week weakens forward secrecy for no gain.
    private static readonly TimeSpan MaxTicketRotation = TimeSpan.FromDays(7);

    private static readonly Dictionary<string, SslProtocols> TlsVersions = new()
    {
        ["1.2"] = SslProtocols.Tls12 | SslProtocols.Tls13,
        ["1.3"] = SslProtocols.Tls13,
    };

    private static readonly Dictionary<string, TlsClientAuth> ClientAuthModes = new()
    {
        ["none"] = TlsClientAuth.None,
        ["optional"] = TlsClientAuth.Optional,
        ["required"] = TlsClientAuth.Required,
    };

    // What the HTTP fronts speak; a protocol they do not must not be agreed in the handshake.
    private static readonly string[] ServedAlpn = ["h2", "http/1.1", "http/1.0"];
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

            var h2c = ReadH2c(r, table, protocol);

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
                    H2c = h2c,
                });
            }
        }

        return set;
    }

    /// <summary>
    /// h2c = true: HTTP/2 with prior knowledge beside HTTP/1.1 on a plain http listener. A TLS
    /// listener picks HTTP/2 by ALPN instead, and an L4 listener does not speak HTTP.
    /// </summary>
    private static bool ReadH2c(ConfigReader r, TomlTableNode table, ListenerProtocol? protocol)
    {
        if (r.Boolean(table, "h2c") is not { } h2c)
        {
            return false;
        }
        var at = table.Find("h2c")!.Value.Position;
        if (h2c && protocol is ListenerProtocol.Tcp or ListenerProtocol.TlsPassthrough)
        {
            r.Error(at, "'h2c' is only for http listeners");
            return false;
        }
        if (h2c && table.Find("tls") is not null)
        {
            r.Error(at, "'h2c' is for plain http listeners; a TLS listener serves HTTP/2 by ALPN: alpn = [\"h2\", \"http/1.1\"] in [listener.tls] (the default)");
            return false;
        }
        return h2c;
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
        var alpnList = r.StringList(table, "alpn");
        if (alpnList is { Count: 0 })
        {
            r.Error(table.Find("alpn")!.Value.Position, "'alpn' must name at least one protocol, e.g. [\"http/1.1\"]");
        }
        foreach (var protocol in alpnList ?? [])
        {
            if (!ServedAlpn.Contains(protocol.Value))
            {
                r.Error(protocol.At, $"ALPN \"{protocol.Value}\" is not a protocol this listener serves; expected one of: {string.Join(", ", ServedAlpn)}");
            }
            else if (!alpn.Contains(protocol.Value))
            {
                alpn.Add(protocol.Value);
            }
        }

        var protocols = r.Choice(table, "min_version", TlsVersions);
        var clientAuth = r.Choice(table, "client_auth", ClientAuthModes) ?? TlsClientAuth.None;
        var clientCa = table.Find("client_ca") is null ? null : r.ExistingFile(table, "client_ca");
        if (clientAuth != TlsClientAuth.None && table.Find("client_ca") is null)
        {
            r.Error(table.Find("client_auth")!.Value.Position, $"client_auth = \"{ClientAuthName(clientAuth)}\" requires 'client_ca', the CA bundle that verifies client certificates");
        }
        else if (clientAuth == TlsClientAuth.None && table.Find("client_ca") is { } unusedCa)
        {
            r.Error(unusedCa.KeyPosition, "'client_ca' is used only with client_auth = \"optional\" or \"required\"");
        }
        else if (clientCa is not null)
        {
            CheckTlsFile(r, table.Find("client_ca")!, () => CertificateLoader.ReadBundle(clientCa));
        }
        var handshakeTimeout = r.Duration(table, "handshake_timeout");
        var ticketRotation = r.Duration(table, "session_ticket_rotation");
        if (ticketRotation is { } rotation && (rotation > MaxTicketRotation || rotation < TimeSpan.FromSeconds(1)))
        {
            r.Error(table.Find("session_ticket_rotation")!.Value.Position,
                "'session_ticket_rotation' must be from \"1s\" to \"7d\": a ticket key that lives longer weakens forward secrecy");
            ticketRotation = null;
        }

        var sni = new List<TlsSniModel>();
        foreach (var sniTable in r.Tables(table, "sni"))
        {
            const string sniContext = "[[listener.tls.sni]]";
            r.CheckKeys(sniTable, sniContext, SniKeys);
            var hosts = new List<string>();
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
                var loaded = CheckTlsFile(r, sniTable.Find("cert")!, () => CertificateLoader.Load(sniCert, sniKey, DateTime.UtcNow));
                if (loaded is ServerCertificate { DnsNames.Count: 0 } && sniTable.Find("names") is null)
                {
                    r.Error(sniTable.Position, $"[[listener.tls.sni]] without 'names' serves the DNS names of its certificate, and {sniCert} has none: list them in 'names'");
                }
                sni.Add(new TlsSniModel { Names = hosts.AsReadOnly(), CertPath = sniCert, KeyPath = sniKey });
            }
        }

        if (cert is not null && key is not null)
        {
            CheckTlsFile(r, table.Find("cert")!, () => CertificateLoader.Load(cert, key, DateTime.UtcNow));
        }

        if (r.Errors.Count != errorsBefore || cert is null || key is null)
        {
            return null;
        }

        return new TlsModel
        {
            CertPath = cert,
            KeyPath = key,
            Alpn = alpnList is null ? ["h2", "http/1.1"] : alpn.AsReadOnly(),
            Sni = sni.AsReadOnly(),
            Protocols = protocols ?? TlsVersions["1.2"],
            ClientAuth = clientAuth,
            ClientCaPath = clientCa,
            HandshakeTimeout = handshakeTimeout ?? TimeSpan.FromSeconds(10),
            SessionTicketRotation = ticketRotation ?? TimeSpan.FromHours(12),
        };
    }

    /// <summary>Reads a certificate (and key) or CA file as serving would, so `check` fails where a start would.</summary>
    private static object? CheckTlsFile(ConfigReader r, TomlEntry at, Func<object> read)
    {
        try
        {
            return read();
        }
        catch (TlsCertificateException ex)
        {
            r.Error(at.Value.Position, ex.Message);
            return null;
        }
    }

    private static string ClientAuthName(TlsClientAuth mode) => ClientAuthModes.First(m => m.Value == mode).Key;
}
