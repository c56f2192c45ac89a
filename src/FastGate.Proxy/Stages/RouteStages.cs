using FastGate.Proxy.Config;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Stages;

/// <summary>
/// Compiles a route's stage chain from its model, in the one order every route follows:
/// address checks, then CORS (a preflight carries no credentials), the request id, auth, rate
/// limits, and the transforms of what goes upstream and comes back. A route that asks for none
/// shares <see cref="StageChain.Empty"/>, so 100,000 plain routes cost nothing here.
/// </summary>
public static class RouteStages
{
    public static StageChain Build(RouteModel route, ConfigModel config, StageServices services)
    {
        List<Stage>? stages = null;
        Add(ref stages, TransformStages.AddressRules(route));
        Add(ref stages, TransformStages.Cors(route));
        Add(ref stages, TransformStages.RequestId(route));
        Add(ref stages, Auth.AuthStage.For(route, config, services));
        Add(ref stages, RateLimits.RateLimitStage.Create(route, config, services));
        if (route.Transforms is not null)
        {
            foreach (var stage in TransformStages.Edits(route, services))
            {
                Add(ref stages, stage);
            }
        }

        if (services.RouteStage is { } routeStage)
        {
            Add(ref stages, routeStage(route, config));
        }

        if (services.CustomStages is { } custom)
        {
            foreach (var stage in custom(route))
            {
                Add(ref stages, stage);
            }
        }

        return stages is null ? StageChain.Empty : new StageChain(stages);
    }

    // A list only for routes that have stages: a plain route allocates nothing here.
    private static void Add(ref List<Stage>? stages, Stage? stage)
    {
        if (stage is not null)
        {
            (stages ??= []).Add(stage);
        }
    }
}
