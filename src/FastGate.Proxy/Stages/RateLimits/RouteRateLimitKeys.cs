using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>A request's limits on a route: the route's own, then the caller's consumer limit when it has one.</summary>
public readonly struct RouteRateLimitKeys(RateLimitRule[] rules, Exchange exchange, RateLimitPolicy? consumer) : IRateLimitKeys
{
    public int Count => rules.Length + (consumer is null ? 0 : 1);

    public RateLimitPolicy Policy(int index) => index < rules.Length ? rules[index].Policy : consumer!;

    public ulong Key(int index) =>
        index < rules.Length ? rules[index].Key.Select(exchange) : RateLimitKeySelector.Consumer(exchange.Consumer!);
}
