using System.Net;
using FastGate.Core.ProxyProtocol;

namespace FastGate.Proxy.Config;

// The PROXY protocol keys: proxy_protocol and proxy_protocol_from on [[listener]], proxy_protocol on [cluster.NAME].
public static partial class ConfigLoader
{
    private static readonly Dictionary<string, ProxyVersion> ProxyProtocolVersions = new()
    {
        ["v1"] = ProxyVersion.V1,
        ["v2"] = ProxyVersion.V2,
    };

    /// <summary>
    /// Whether the listener's connections start with a PROXY protocol header, and from which
    /// sources. The list is required with the header: a listener that believes any peer about
    /// the client address lets everyone pick the address that X-Forwarded-For, rate limits and
    /// logs see, so trust is never implied.
    /// </summary>
    private static (bool Enabled, IReadOnlyList<IPNetwork> From) ReadListenerProxyProtocol(ConfigReader r, TomlTableNode table, string? name)
    {
        var enabled = r.Boolean(table, "proxy_protocol") ?? false;
        var fromEntry = table.Find("proxy_protocol_from");
        if (!enabled)
        {
            if (fromEntry is not null)
            {
                r.Error(fromEntry.KeyPosition, $"listener '{name}': 'proxy_protocol_from' has no effect without 'proxy_protocol = true'");
            }
            return (false, []);
        }
        if (fromEntry is null)
        {
            r.Error(table.Find("proxy_protocol")!.KeyPosition,
                $"listener '{name}': 'proxy_protocol = true' requires 'proxy_protocol_from', the addresses of the proxies or load balancers that send the header (e.g. [\"10.0.0.0/8\"])");
            return (true, []);
        }
        var from = ReadNetworks(r, table, "proxy_protocol_from");
        if (from.Count == 0 && fromEntry.Value is TomlArrayNode { Items.Count: 0 })
        {
            r.Error(fromEntry.Value.Position, $"listener '{name}': 'proxy_protocol_from' is empty, so every connection would be refused; list the senders of the header");
        }
        return (true, from);
    }

    private static ProxyVersion? ReadClusterProxyProtocol(ConfigReader r, TomlTableNode table) =>
        table.Find("proxy_protocol") is null ? null : r.Choice(table, "proxy_protocol", ProxyProtocolVersions);

    /// <summary>
    /// A cluster that sends a PROXY header serves tcp and tls-passthrough listeners only. An http
    /// route's upstream connections are pooled and shared by the requests of many clients, so a
    /// header written once per connection would name the wrong client for all but the first;
    /// X-Forwarded-For carries the client address per request there.
    /// </summary>
    private static void RefuseProxyProtocolOnHttpRoutes(ConfigReader r, TomlTableNode root, ClusterSet clusters, IReadOnlyList<RouteModel> routes)
    {
        foreach (var (name, cluster) in clusters.Models)
        {
            if (cluster.ProxyProtocol is null || routes.FirstOrDefault(route => route.Cluster == name) is not { } route)
            {
                continue;
            }
            var at = r.Table(root, "cluster")?.Find(name)?.Value is TomlTableNode table && table.Find("proxy_protocol") is { } entry
                ? entry.KeyPosition
                : SourcePosition.Start;
            r.Error(at, $"cluster '{name}': 'proxy_protocol' is for tcp and tls-passthrough listeners, but route '{route.Name}' sends HTTP to it over pooled connections that many clients share, so one header cannot name each client; X-Forwarded-For carries the client address on http routes. Use a separate cluster for the route");
        }
    }
}
