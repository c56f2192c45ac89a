using FastGate.Proxy.Config;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.L4;

/// <summary>
/// The cluster for a server name on a tls-passthrough listener, built once per snapshot: the exact
/// name first, then wildcards from the longest suffix to the shortest (<c>*.example.org</c>
/// matches <c>a.example.org</c> and <c>a.b.example.org</c>, not <c>example.org</c>), as routes
/// match hosts. A name nothing matches, or no name at all, goes to the listener's cluster.
/// Immutable; lookups allocate nothing.
/// </summary>
public sealed class SniRouter
{
    private readonly Dictionary<string, Cluster>.AlternateLookup<ReadOnlySpan<char>> _exact;
    // Keyed by the suffix with its leading dot (".example.org"), as the name is scanned.
    private readonly Dictionary<string, Cluster>.AlternateLookup<ReadOnlySpan<char>> _wildcards;
    private readonly int _wildcardCount;

    public SniRouter(IReadOnlyList<SniRouteModel> routes, Cluster fallback, IReadOnlyDictionary<string, Cluster> clusters)
    {
        Fallback = fallback;
        var exact = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        var wildcards = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var cluster = clusters[route.Cluster];
            foreach (var name in route.Names)
            {
                if (name.StartsWith("*.", StringComparison.Ordinal))
                {
                    wildcards.TryAdd(name[1..], cluster);
                }
                else
                {
                    exact.TryAdd(name, cluster);
                }
            }
        }
        _exact = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcards = wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardCount = wildcards.Count;
    }

    /// <summary>The listener's own cluster: for hellos without a name and names no route lists.</summary>
    public Cluster Fallback { get; }

    /// <summary>The cluster for <paramref name="serverName"/> (lower-case ASCII, as the ClientHello reader gives it; empty when none).</summary>
    public Cluster Route(ReadOnlySpan<byte> serverName)
    {
        if (serverName.IsEmpty)
        {
            return Fallback;
        }
        Span<char> name = stackalloc char[serverName.Length];
        for (var i = 0; i < serverName.Length; i++)
        {
            name[i] = (char)serverName[i];
        }
        if (_exact.TryGetValue(name, out var cluster))
        {
            return cluster;
        }
        if (_wildcardCount != 0)
        {
            for (var i = 1; i < name.Length; i++)
            {
                if (name[i] == '.' && _wildcards.TryGetValue(name[i..], out cluster))
                {
                    return cluster;
                }
            }
        }
        return Fallback;
    }
}
