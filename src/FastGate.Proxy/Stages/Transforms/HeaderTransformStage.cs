using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// <c>request_headers</c> (edits of the request sent upstream, in the request-head phase) or
/// <c>response_headers</c> (edits of the client's response, in the response-head phase; on a route
/// that answers locally, in the request-head phase before the answer, as nothing comes back from
/// upstream). Removes first, then sets, then adds, so a name both removed and set ends up set.
/// Values are templates compiled here once; applying them allocates nothing.
/// </summary>
public sealed class HeaderTransformStage : Stage
{
    private readonly Edit[] _edits;
    private readonly bool _upstream;
    private readonly StageServices _services;

    private readonly struct Edit(HeaderEditKind kind, byte[] name, ValueTemplate? value)
    {
        public readonly HeaderEditKind Kind = kind;
        public readonly byte[] Name = name;
        public readonly ValueTemplate? Value = value;
    }

    private HeaderTransformStage(HeaderTransformModel model, string routeName, bool upstream, StagePhases phases, StageServices services)
    {
        _upstream = upstream;
        _services = services;
        Phases = phases;
        var edits = new List<Edit>();
        foreach (var name in model.Remove)
        {
            edits.Add(new Edit(HeaderEditKind.Remove, Encoding.ASCII.GetBytes(name), null));
        }
        foreach (var (name, value) in model.Set)
        {
            edits.Add(new Edit(HeaderEditKind.Set, Encoding.ASCII.GetBytes(name), Compile(value, routeName)));
        }
        foreach (var (name, value) in model.Add)
        {
            edits.Add(new Edit(HeaderEditKind.Add, Encoding.ASCII.GetBytes(name), Compile(value, routeName)));
        }
        _edits = [.. edits];
    }

    /// <summary>The request_headers stage of a route.</summary>
    public static HeaderTransformStage ForRequest(HeaderTransformModel model, string routeName, StageServices services) =>
        new(model, routeName, upstream: true, StagePhases.RequestHead, services);

    /// <summary>The response_headers stage of a route; <paramref name="answersLocally"/> for a redirect or direct response route.</summary>
    public static HeaderTransformStage ForResponse(HeaderTransformModel model, string routeName, bool answersLocally, StageServices services) =>
        new(model, routeName, upstream: false, answersLocally ? StagePhases.RequestHead : StagePhases.ResponseHead, services);

    public override string Name => _upstream ? "request_headers" : "response_headers";

    public override StagePhases Phases { get; }

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange) => new(Apply(exchange));

    public override StageOutcome OnResponseHead(Exchange exchange) => Apply(exchange);

    private StageOutcome Apply(Exchange exchange)
    {
        var target = _upstream ? exchange.UpstreamRequestHeaders : exchange.ResponseHeaders;
        foreach (ref readonly var edit in _edits.AsSpan())
        {
            var ok = edit.Value is null
                ? target.Remove(edit.Name)
                : edit.Value.Apply(exchange, target, edit.Kind, edit.Name);
            if (!ok)
            {
                return TransformRefusalLog.Refuse(_services, exchange, Name, "a header value with a control character");
            }
        }
        return StageOutcome.Continue;
    }

    private static ValueTemplate Compile(string value, string routeName) =>
        ValueTemplate.TryParse(value, routeName, out var template, out var error)
            ? template
            : throw new ArgumentException(error, nameof(value)); // the loader checked it: a bug if reached
}
