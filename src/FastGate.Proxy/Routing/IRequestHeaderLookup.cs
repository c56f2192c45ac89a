namespace FastGate.Proxy.Routing;

/// <summary>
/// Read access to a request's header fields for <see cref="RouteTable.Match"/>. Implemented by
/// a struct (or ref struct) over the parsed head, so the call is devirtualized and nothing boxes.
/// </summary>
public interface IRequestHeaderLookup
{
    /// <summary>
    /// Finds the first field named <paramref name="nameLower"/> (lower-case ASCII) and returns its
    /// value with optional whitespace trimmed from both ends.
    /// </summary>
    bool TryGetValue(ReadOnlySpan<byte> nameLower, out ReadOnlySpan<byte> value);
}
