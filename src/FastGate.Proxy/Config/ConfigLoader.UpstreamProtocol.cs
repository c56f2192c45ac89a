namespace FastGate.Proxy.Config;

// protocol and max_streams_per_connection of [cluster.NAME]: HTTP/2 to the upstream.
public static partial class ConfigLoader
{
    private static readonly Dictionary<string, UpstreamProtocol> UpstreamProtocols = new()
    {
        ["http1"] = UpstreamProtocol.Http1,
        ["h2"] = UpstreamProtocol.H2,
        ["h2c"] = UpstreamProtocol.H2c,
    };

    /// <summary>Reads the protocol after the TLS keys, which "h2" needs and "h2c" excludes.</summary>
    private static ClusterModel ReadUpstreamProtocol(ConfigReader r, string name, TomlTableNode table, ClusterModel cluster)
    {
        var protocol = r.Choice(table, "protocol", UpstreamProtocols) ?? UpstreamProtocol.Http1;
        var at = table.Find("protocol")?.KeyPosition ?? table.Position;
        var tls = cluster.Tls is not null;
        if (protocol == UpstreamProtocol.H2 && !tls)
        {
            r.Error(at, $"protocol = \"h2\" in [cluster.{name}] needs tls = true (HTTP/2 over plain TCP is \"h2c\")");
        }
        if (protocol == UpstreamProtocol.H2c && tls)
        {
            r.Error(at, $"protocol = \"h2c\" in [cluster.{name}] is HTTP/2 over plain TCP: with tls = true use \"h2\"");
        }
        if (r.Integer(table, "max_streams_per_connection", 1, int.MaxValue) is { } maxStreams)
        {
            if (protocol == UpstreamProtocol.Http1)
            {
                r.Error(table.Find("max_streams_per_connection")!.KeyPosition, $"'max_streams_per_connection' in [cluster.{name}] needs protocol = \"h2\" or \"h2c\"");
            }
            cluster = cluster with { MaxStreamsPerConnection = (int)maxStreams };
        }
        if (protocol == UpstreamProtocol.Http1)
        {
            return cluster;
        }
        if (cluster.Health is { Path: not null })
        {
            // Active HTTP checks are HTTP/1.1 requests, which an HTTP/2-only server refuses: every
            // endpoint would be marked down.
            r.Error(at, $"[cluster.{name}.health] with a 'path' sends HTTP/1.1 checks, which protocol = \"{(protocol == UpstreamProtocol.H2 ? "h2" : "h2c")}\" endpoints may refuse: leave 'path' out for a TCP connect check");
        }
        if (protocol == UpstreamProtocol.H2 && cluster.Tls is { } model)
        {
            // The identity changes with the ALPN offer, so a reload that switches protocol opens new connections.
            cluster = cluster with { Tls = model with { Http2 = true, Identity = model.Identity + "|alpn=h2" } };
        }
        return cluster with { Protocol = protocol };
    }
}
