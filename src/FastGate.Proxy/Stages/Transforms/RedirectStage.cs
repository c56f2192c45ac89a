using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// <c>redirect</c>: every request of the route is answered with a 3xx and a Location rendered from
/// the template, in the request-head phase; nothing goes upstream. A Location that would carry a
/// control character from the request is refused with 400.
/// </summary>
public sealed class RedirectStage(RedirectModel model, string routeName, StageServices services) : Stage
{
    private readonly ValueTemplate _location = ValueTemplate.TryParse(model.Location, routeName, out var template, out var error)
        ? template
        : throw new ArgumentException(error, nameof(model)); // the loader checked it: a bug if reached
    private readonly int _status = model.Status;

    public override string Name => "redirect";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange)
    {
        if (!_location.Apply(exchange, exchange.LocalHeaders, HeaderEditKind.Set, "location"u8))
        {
            return new(TransformRefusalLog.Refuse(services, exchange, Name, "a location with a control character"));
        }
        return new(exchange.Answer(_status));
    }
}
