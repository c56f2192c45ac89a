namespace FastGate.Proxy.Config;

// [[listener.sni_route]]: where a tls-passthrough listener sends each server name.
public static partial class ConfigLoader
{
    private static readonly string[] SniRouteKeys = ["names", "cluster"];

    /// <summary>
    /// The SNI routes of a tls-passthrough listener, in file order. A name may appear once per
    /// listener: two routes for one name would leave the answer to file order, which nobody reads.
    /// </summary>
    private static IReadOnlyList<SniRouteModel> ReadSniRoutes(ConfigReader r, TomlTableNode listener, string? name, ListenerProtocol? protocol, ClusterSet clusters)
    {
        const string context = "[[listener.sni_route]]";
        var tables = r.Tables(listener, "sni_route");
        if (tables.Count == 0)
        {
            return [];
        }
        if (protocol != ListenerProtocol.TlsPassthrough)
        {
            if (protocol is not null)
            {
                r.Error(tables[0].Position, $"[[listener.sni_route]] is only for tls-passthrough listeners; listener '{name}' is {ProtocolName(protocol.Value)}");
            }
            return [];
        }

        var routes = new List<SniRouteModel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            int errorsBefore = r.Errors.Count;
            r.CheckKeys(table, context, SniRouteKeys);
            if (table.Find("names") is null)
            {
                r.Missing(table, "names", context);
            }
            var names = new List<string>();
            var list = r.StringList(table, "names");
            if (list is { Count: 0 })
            {
                r.Error(table.Find("names")!.Value.Position, "'names' must list at least one host name");
            }
            foreach (var host in list ?? [])
            {
                if (!HostPattern.TryNormalize(host.Value, out var pattern, out var error))
                {
                    r.Error(host.At, error);
                }
                else if (!seen.Add(pattern))
                {
                    r.Error(host.At, $"'{host.Value}' is already routed by an earlier [[listener.sni_route]] of listener '{name}'");
                }
                else
                {
                    names.Add(pattern);
                }
            }

            string? cluster = null;
            if (RequiredString(r, table, "cluster", context) is { } clusterText)
            {
                if (clusters.Names.Contains(clusterText.Value))
                {
                    cluster = clusterText.Value;
                }
                else
                {
                    r.Error(clusterText.At, $"[[listener.sni_route]] of listener '{name}' names cluster '{clusterText.Value}' which is not defined");
                }
            }

            if (r.Errors.Count == errorsBefore && cluster is not null)
            {
                routes.Add(new SniRouteModel { Names = names.AsReadOnly(), Cluster = cluster });
            }
        }
        return routes.AsReadOnly();
    }
}
