using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// <c>allow</c> / <c>deny</c> of a route: a client refused by them gets 403 in the request-head
/// phase, before any other stage spends work on it. Allocates nothing.
/// </summary>
public sealed class AddressRulesStage(AddressRules rules) : Stage
{
    public override string Name => "address_rules";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange) =>
        new(rules.Permits(exchange.ClientIpBytes) ? StageOutcome.Continue : exchange.Answer(403));
}
