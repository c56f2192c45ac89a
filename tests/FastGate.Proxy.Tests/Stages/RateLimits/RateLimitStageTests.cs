using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.RateLimits;
using static FastGate.Proxy.Tests.Stages.RateLimits.RateLimitTestKit;

namespace FastGate.Proxy.Tests.Stages.RateLimits;

/// <summary>The stage on exchanges as the front runs them: keys, answers, slots, reloads.</summary>
public class RateLimitStageTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>A completion that failed shows up as a log line: fail the test on it.</summary>
    private static readonly GatewayLog ThrowingLog = new(new ThrowingWriter());

    private sealed class ThrowingWriter : StringWriter
    {
        public override void WriteLine(string? value) => throw new InvalidOperationException(value);
    }

    private static StageChain Chain(RouteModel route, StageServices services, RateLimitModel? model = null, bool consumerLimits = false) =>
        RouteStages.Build(route, ConfigFor(route, model, consumerLimits), services);

    private static int Admitted(RouteModel route, StageChain chain, int attempts, string headers = "", byte[]? ip = null, ConsumerModel? consumer = null)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
        {
            var exchange = Exchange(route, chain, headers, ip, consumer);
            if (RunHead(exchange) == StageOutcome.Continue)
            {
                admitted++;
            }
            exchange.Chain.RunComplete(exchange, ThrowingLog);
        }
        return admitted;
    }

    [Fact]
    public void Build_RouteWithoutLimits_AddsNoStage()
    {
        Assert.Same(StageChain.Empty, Chain(Route(), Services()));
    }

    [Fact]
    public void RequestHead_OverTheLimit_Answers429WithRetryAfterAndRateLimitFields()
    {
        var route = Route(rates: [Rate(3, TimeSpan.FromMinutes(1))]);
        var services = Services();
        var chain = Chain(route, services);
        Assert.Equal(3, Admitted(route, chain, 3));

        var refused = Exchange(route, chain);
        Assert.Equal(StageOutcome.Answered, RunHead(refused));
        Assert.Equal(429, refused.LocalStatus);
        Assert.Equal("3", Header(refused.LocalHeaders, "RateLimit-Limit"));
        Assert.Equal("0", Header(refused.LocalHeaders, "RateLimit-Remaining"));
        Assert.Equal("60", Header(refused.LocalHeaders, "RateLimit-Reset"));
        // One request is earned back every 20 s.
        var retryAfter = int.Parse(Header(refused.LocalHeaders, "Retry-After")!);
        Assert.InRange(retryAfter, 19, 20);
        Assert.Contains("rate limit", Encoding.ASCII.GetString(refused.LocalBody));
        Assert.Equal(1, services.Metrics.RateLimits.Route("api").Limited);
        Assert.Contains("fastgate_rate_limited_total{route=\"api\"} 1", services.Metrics.Render([]));
    }

    [Fact]
    public void RequestHead_LocalBackend_CompletesSynchronously()
    {
        var route = Route(rates: [Rate(3, Hour)]);
        var chain = Chain(route, Services());
        var exchange = Exchange(route, chain);
        Assert.True(chain.Stages[0].OnRequestHeadAsync(exchange).IsCompleted);
    }

    [Fact]
    public void ClientKey_EachAddressHasItsOwnCount()
    {
        var route = Route(rates: [Rate(2, Hour)]);
        var chain = Chain(route, Services());
        Assert.Equal(2, Admitted(route, chain, 5, ip: [10, 0, 0, 1]));
        Assert.Equal(2, Admitted(route, chain, 5, ip: [10, 0, 0, 2]));
    }

    [Fact]
    public void HeaderKey_EachValueHasItsOwnCount_RequestsWithoutItShareOne()
    {
        var route = Route(rates: [Rate(2, Hour, RateLimitKeyKind.Header, "x-tenant")]);
        var chain = Chain(route, Services());
        Assert.Equal(2, Admitted(route, chain, 5, "X-Tenant: a\r\n"));
        Assert.Equal(2, Admitted(route, chain, 5, "x-tenant: b\r\n", ip: [10, 0, 0, 9]));
        Assert.Equal(2, Admitted(route, chain, 5));
        Assert.Equal(0, Admitted(route, chain, 5, ip: [10, 0, 0, 3]));
    }

    [Fact]
    public void ConsumerKey_EachConsumerHasItsOwnCount_AnonymousCallersAreCountedByAddress()
    {
        var route = Route(rates: [Rate(2, Hour, RateLimitKeyKind.Consumer)]);
        var chain = Chain(route, Services());
        Assert.Equal(2, Admitted(route, chain, 5, consumer: new ConsumerModel("alice")));
        Assert.Equal(2, Admitted(route, chain, 5, consumer: new ConsumerModel("bob")));
        Assert.Equal(2, Admitted(route, chain, 5, ip: [10, 1, 1, 1]));
        Assert.Equal(2, Admitted(route, chain, 5, ip: [10, 1, 1, 2]));
    }

    [Fact]
    public void RouteKey_EveryCallerSharesOneCount()
    {
        var route = Route(rates: [Rate(3, Hour, RateLimitKeyKind.Route)]);
        var chain = Chain(route, Services());
        Assert.Equal(2, Admitted(route, chain, 2, ip: [10, 0, 0, 1]));
        Assert.Equal(1, Admitted(route, chain, 5, ip: [10, 0, 0, 2]));
    }

    [Fact]
    public void SeveralLimits_ARefusalByOneCostsNothingOnTheOthers()
    {
        var route = Route(rates: [Rate(10, Hour, RateLimitKeyKind.Route), Rate(1, Hour, RateLimitKeyKind.Client)]);
        var chain = Chain(route, Services());
        Assert.Equal(1, Admitted(route, chain, 20, ip: [10, 0, 0, 1]));
        // The refused 19 were refunded to the route limit: nine are left for others.
        var others = 0;
        for (byte i = 2; i < 30; i++)
        {
            others += Admitted(route, chain, 1, ip: [10, 0, 0, i]);
        }
        Assert.Equal(9, others);
    }

    [Fact]
    public void ConsumerLimit_AppliesAcrossRoutes_AndOnlyToThatConsumer()
    {
        var services = Services();
        var a = Route("a");
        var b = Route("b");
        var chainA = Chain(a, services, consumerLimits: true);
        var chainB = Chain(b, services, consumerLimits: true);
        var alice = new ConsumerModel("alice") { RequestsPerMinute = 3 };
        Assert.Equal(2, Admitted(a, chainA, 2, consumer: alice));
        Assert.Equal(1, Admitted(b, chainB, 5, consumer: alice));

        var refused = Exchange(b, chainB, consumer: alice);
        Assert.Equal(StageOutcome.Answered, RunHead(refused));
        Assert.Equal("3", Header(refused.LocalHeaders, "RateLimit-Limit"));
        // Consumers without a limit and anonymous callers pass.
        Assert.Equal(10, Admitted(b, chainB, 10, consumer: new ConsumerModel("bob")));
        Assert.Equal(10, Admitted(b, chainB, 10));
    }

    [Fact]
    public void ResponseHeaders_On_AdmittedResponsesCarryTheTightestLimit()
    {
        var route = Route(rates: [Rate(100, Hour, RateLimitKeyKind.Route), Rate(5, Hour)]);
        var chain = Chain(route, Services(), new RateLimitModel { ResponseHeaders = true });
        var exchange = Exchange(route, chain);
        Assert.Equal(StageOutcome.Continue, RunHead(exchange));
        Assert.Equal("5", Header(exchange.ResponseHeaders, "RateLimit-Limit"));
        Assert.Equal("4", Header(exchange.ResponseHeaders, "RateLimit-Remaining"));
        Assert.Equal("720", Header(exchange.ResponseHeaders, "RateLimit-Reset"));
    }

    [Fact]
    public void ResponseHeaders_Off_AdmittedResponsesAreUntouched()
    {
        var route = Route(rates: [Rate(5, Hour)]);
        var exchange = Exchange(route, Chain(route, Services()));
        Assert.Equal(StageOutcome.Continue, RunHead(exchange));
        Assert.Equal(0, exchange.ResponseHeaders.Count);
    }

    [Fact]
    public void ConcurrencyLimit_RefusesPastMax_CompletionGivesTheSlotBack()
    {
        var route = Route(concurrency: [new RouteConcurrencyLimitModel { Max = 2, Key = RateLimitKeyKind.Client }]);
        var services = Services();
        var chain = Chain(route, services);
        Assert.True((chain.Stages[0].Phases & StagePhases.Complete) != 0);
        var first = Exchange(route, chain);
        var second = Exchange(route, chain);
        Assert.Equal(StageOutcome.Continue, RunHead(first));
        Assert.Equal(StageOutcome.Continue, RunHead(second));

        var third = Exchange(route, chain);
        Assert.Equal(StageOutcome.Answered, RunHead(third));
        Assert.Equal(429, third.LocalStatus);
        Assert.Equal("1", Header(third.LocalHeaders, "Retry-After"));
        // The refused exchange held nothing: completing it frees nothing.
        third.Chain.RunComplete(third, ThrowingLog);
        Assert.Equal(StageOutcome.Answered, RunHead(Exchange(route, chain)));

        first.Chain.RunComplete(first, ThrowingLog);
        // Completion runs once per exchange; a second run would free a slot that is not held.
        first.Chain.RunComplete(first, ThrowingLog);
        var fourth = Exchange(route, chain);
        Assert.Equal(StageOutcome.Continue, RunHead(fourth));
        Assert.Equal(StageOutcome.Answered, RunHead(Exchange(route, chain)));
        Assert.Equal(0, Admitted(route, chain, 1));
        Assert.Equal(2, Admitted(route, chain, 2, ip: [10, 0, 0, 5]));
    }

    [Fact]
    public void ConcurrencyLimit_ARateRefusalAfterTheSlotIsTaken_StillGivesItBack()
    {
        var route = Route(rates: [Rate(1, Hour)], concurrency: [new RouteConcurrencyLimitModel { Max = 1, Key = RateLimitKeyKind.Client }]);
        var services = Services();
        var chain = Chain(route, services);
        Assert.Equal(1, Admitted(route, chain, 1));
        // Rate-refused, each completed: if a slot leaked, the second would be refused for concurrency
        // and say Retry-After: 1 instead of the rate limit's wait.
        for (var i = 0; i < 3; i++)
        {
            var refused = Exchange(route, chain);
            Assert.Equal(StageOutcome.Answered, RunHead(refused));
            Assert.Equal("1", Header(refused.LocalHeaders, "RateLimit-Limit"));
            refused.Chain.RunComplete(refused, ThrowingLog);
        }
    }

    [Fact]
    public void Reload_SameLimit_KeepsItsCounters_ChangedLimit_StartsFresh()
    {
        var services = Services();
        var route = Route(rates: [Rate(3, Hour)]);
        Assert.Equal(2, Admitted(route, Chain(route, services), 2));

        // A new snapshot with the same route and limit: one request left.
        var same = Route(rates: [Rate(3, Hour)]);
        Assert.Equal(1, Admitted(same, Chain(same, services), 5));

        var changed = Route(rates: [Rate(4, Hour)]);
        Assert.Equal(4, Admitted(changed, Chain(changed, services), 10));
        var renamed = Route("other", rates: [Rate(3, Hour)]);
        Assert.Equal(3, Admitted(renamed, Chain(renamed, services), 10));
    }
}
