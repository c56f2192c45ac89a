namespace FastGate.Proxy.Tls;

/// <summary>
/// Picks the certificate for a client's SNI name: an exact name first, then a "*.example.com"
/// wildcard (which covers exactly one label, as certificates do), else the listener's default.
/// </summary>
public sealed class SniCertificateMap<T> where T : class
{
    private readonly Dictionary<string, T> _exact = new(StringComparer.OrdinalIgnoreCase);
    // Keyed by the wildcard's suffix: "*.example.com" is stored as "example.com".
    private readonly Dictionary<string, T> _wildcard = new(StringComparer.OrdinalIgnoreCase);

    public SniCertificateMap(T defaultValue)
    {
        Default = defaultValue;
    }

    public T Default { get; }

    /// <summary>Adds a name or "*."-wildcard; the first entry for a name wins, as config order reads.</summary>
    public void Add(string name, T value)
    {
        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            _wildcard.TryAdd(name[2..], value);
        }
        else
        {
            _exact.TryAdd(name, value);
        }
    }

    public T Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return Default;
        }
        // A fully qualified name may end in a dot; certificates name hosts without one.
        var name = serverName.EndsWith('.') ? serverName[..^1] : serverName;
        if (_exact.TryGetValue(name, out var exact))
        {
            return exact;
        }
        var dot = name.IndexOf('.');
        if (dot > 0 && _wildcard.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name.AsSpan(dot + 1), out var wildcard))
        {
            return wildcard;
        }
        return Default;
    }
}
