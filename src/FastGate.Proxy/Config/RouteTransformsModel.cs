namespace FastGate.Proxy.Config;

/// <summary>
/// What a route changes or answers itself (docs/config.md, "Route transforms"). Null on a
/// <see cref="RouteModel"/> that asks for none, so plain routes carry one null reference.
/// </summary>
public sealed record RouteTransformsModel
{
    /// <summary>Client addresses let in; empty means every address not denied.</summary>
    public IReadOnlyList<System.Net.IPNetwork> Allow { get; init; } = [];
    /// <summary>Client addresses refused with 403; deny wins over allow.</summary>
    public IReadOnlyList<System.Net.IPNetwork> Deny { get; init; } = [];
    public CorsModel? Cors { get; init; }
    /// <summary>Keep a sane incoming x-request-id or make one, send it upstream and echo it.</summary>
    public bool RequestId { get; init; }
    public HeaderTransformModel? RequestHeaders { get; init; }
    public HeaderTransformModel? ResponseHeaders { get; init; }
    public PathRewriteModel? Rewrite { get; init; }
    /// <summary>The Host sent upstream instead of the client's.</summary>
    public string? HostRewrite { get; init; }
    public RedirectModel? Redirect { get; init; }
    public DirectResponseModel? DirectResponse { get; init; }

    /// <summary>True when the route answers every request itself and so has no cluster.</summary>
    public bool AnswersLocally => Redirect is not null || DirectResponse is not null;
}
