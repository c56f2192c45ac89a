namespace FastGate.Proxy.Config;

/// <summary>
/// <c>rewrite</c> of a route: either the matched prefix replaced by <see cref="Prefix"/>, or every
/// match of <see cref="Regex"/> in the path replaced by <see cref="Replacement"/> ($1 for captures).
/// The query is kept as the client sent it.
/// </summary>
public sealed record PathRewriteModel
{
    /// <summary>The new prefix; null for a regex rewrite.</summary>
    public string? Prefix { get; init; }
    /// <summary>What <see cref="Prefix"/> replaces: the route's path_prefix or path ("/" on a route without one).</summary>
    public string MatchedPrefix { get; init; } = "/";
    public string? Regex { get; init; }
    public string Replacement { get; init; } = "";
}
