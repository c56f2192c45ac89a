namespace FastGate.Proxy.Config;

/// <summary>
/// <c>request_headers</c> or <c>response_headers</c> of a route: fields set (replacing any of the
/// name), added (kept beside those there) and removed. Values are templates (<c>${client_ip}</c>...),
/// checked when the file is loaded; names are lower-case.
/// </summary>
public sealed record HeaderTransformModel
{
    public IReadOnlyList<KeyValuePair<string, string>> Set { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Add { get; init; } = [];
    public IReadOnlyList<string> Remove { get; init; } = [];
}
