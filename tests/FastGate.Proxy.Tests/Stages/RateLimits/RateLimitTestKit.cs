using System.Net;
using System.Text;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Stages.RateLimits;

/// <summary>Builds routes, chains and exchanges the way a snapshot and the front do, without sockets.</summary>
internal static class RateLimitTestKit
{
    public static RouteModel Route(string name = "api", IReadOnlyList<RouteRateLimitModel>? rates = null, IReadOnlyList<RouteConcurrencyLimitModel>? concurrency = null) => new()
    {
        Name = name,
        Cluster = "c",
        RateLimits = rates ?? [],
        ConcurrencyLimits = concurrency ?? [],
    };

    public static RouteRateLimitModel Rate(long requests, TimeSpan per, RateLimitKeyKind key = RateLimitKeyKind.Client, string header = "") =>
        new() { Requests = requests, Per = per, Key = key, HeaderName = header };

    public static ConfigModel ConfigFor(RouteModel route, RateLimitModel? rateLimit = null, bool consumerLimits = false) => new()
    {
        ConsumerLimits = consumerLimits,
        SourcePath = "/test.toml",
        Listeners = [],
        Routes = [route],
        Clusters = new Dictionary<string, ClusterModel>(),
        RateLimit = rateLimit ?? new RateLimitModel(),
    };

    public static StageServices Services(TextWriter? log = null) => new(new GatewayLog(log ?? TextWriter.Null), new GatewayMetrics());

    /// <summary>An exchange routed to <paramref name="route"/> with <paramref name="chain"/>, as the front makes one per request.</summary>
    public static Exchange Exchange(RouteModel route, StageChain chain, string headers = "", byte[]? clientIp = null, ConsumerModel? consumer = null)
    {
        var exchange = FastGate.Proxy.Forwarding.Exchange.ForRequest($"GET /x HTTP/1.1\r\nHost: example\r\n{headers}\r\n", new IPAddress(clientIp ?? [127, 0, 0, 1]));
        var cluster = new Cluster(new ClusterModel { Name = "c", Endpoints = [] }, [], new RoundRobinPolicy());
        exchange.Routed(new RouteRuntime(route, cluster, new RouteState(route.Name), chain));
        exchange.Consumer = consumer;
        return exchange;
    }

    /// <summary>The request-head phase, waited for when it went asynchronous.</summary>
    public static StageOutcome RunHead(Exchange exchange)
    {
        var index = 0;
        var outcome = exchange.Chain.RunRequestHead(exchange, ref index, out var pending);
        // A stage that went asynchronous leaves a task behind (default otherwise), done or not by now.
        while (pending != default)
        {
            var finished = pending.AsTask().GetAwaiter().GetResult();
            outcome = exchange.Chain.ResumeRequestHead(exchange, finished, ref index, out pending);
        }
        return outcome;
    }

    public static string? Header(HeaderEdits headers, string name) =>
        headers.TryGetValue(Encoding.ASCII.GetBytes(name), out var value) ? Encoding.ASCII.GetString(value) : null;
}
