using System.Text.RegularExpressions;

namespace FastGate.Proxy.Routing;

/// <summary>The per-route conditions checked after the host and path select a candidate.</summary>
internal readonly struct RouteConditions
{
    /// <summary>Indexed by listener index; null means every listener.</summary>
    public bool[]? Listeners { get; init; }
    /// <summary>Method tokens as bytes; null means any method.</summary>
    public byte[][]? Methods { get; init; }
    /// <summary>Exact header matches, all required; null means none.</summary>
    public HeaderCondition[]? Headers { get; init; }
    /// <summary>The path pattern of a regex route.</summary>
    public Regex? Regex { get; init; }
}

/// <summary>A header field that must be present with exactly this value.</summary>
internal readonly record struct HeaderCondition(byte[] Name, byte[] Value);
