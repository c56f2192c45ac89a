using FastGate.Proxy.Config;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// The transform stages a route's model asks for, in the places <see cref="RouteStages.Build"/>
/// puts them: address checks, CORS and the request id first; the edits of what goes upstream and
/// comes back (and the local answers) after auth and rate limits.
/// </summary>
public static class TransformStages
{
    public static Stage? AddressRules(RouteModel route) =>
        route.Transforms is { } t && (t.Allow.Count > 0 || t.Deny.Count > 0)
            ? new AddressRulesStage(new AddressRules(t.Allow, t.Deny))
            : null;

    public static Stage? Cors(RouteModel route) =>
        route.Transforms?.Cors is { } cors ? new CorsStage(cors) : null;

    public static Stage? RequestId(RouteModel route) =>
        route.Transforms is { RequestId: true } ? new RequestIdStage() : null;

    /// <summary>
    /// Request headers, response headers (before a local answer, on a route that has one), the path
    /// and host rewrites, then the redirect or direct response.
    /// </summary>
    public static IEnumerable<Stage> Edits(RouteModel route, StageServices services)
    {
        if (route.Transforms is not { } t)
        {
            yield break;
        }
        if (t.RequestHeaders is { } request)
        {
            yield return HeaderTransformStage.ForRequest(request, route.Name, services);
        }
        if (t.ResponseHeaders is { } response)
        {
            yield return HeaderTransformStage.ForResponse(response, route.Name, t.AnswersLocally, services);
        }
        if (t.Rewrite is { } rewrite)
        {
            yield return new PathRewriteStage(rewrite, services);
        }
        if (t.HostRewrite is { } host)
        {
            yield return new HostRewriteStage(host);
        }
        if (t.Redirect is { } redirect)
        {
            yield return new RedirectStage(redirect, route.Name, services);
        }
        if (t.DirectResponse is { } direct)
        {
            yield return new DirectResponseStage(direct);
        }
    }
}
