using FastGate.Proxy.Config;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.RateLimits;
using StackExchange.Redis;
using static FastGate.Proxy.Tests.Stages.RateLimits.RateLimitTestKit;

namespace FastGate.Proxy.Tests.Stages.RateLimits;

/// <summary>The shared counters on a real redis-server of the test's own.</summary>
public sealed class RedisRateLimitStoreTests : IDisposable
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly RedisServer _redis = RedisServer.StartNew();
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
        _redis.Dispose();
    }

    private RateLimitModel Model(RateLimitErrorAction onError = RateLimitErrorAction.Local) => new()
    {
        Backend = RateLimitBackendKind.Redis,
        Redis = _redis.Address,
        OnBackendError = onError,
        Timeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>What one gateway process owns: its own services, hence its own connection and local counters.</summary>
    private StageServices Gateway()
    {
        var services = Services();
        _owned.Add(services.RateLimits);
        return services;
    }

    [Fact]
    public async Task TwoLimiters_SharingOneRedis_EnforceOneGlobalLimit()
    {
        var a = Gateway().RateLimits.Redis(Model());
        var b = Gateway().RateLimits.Redis(Model());
        Assert.NotSame(a.Connection, b.Connection);
        var policy = new RateLimitPolicy("global", 10, Hour);
        var admitted = 0;
        var tasks = new List<Task<RateLimitDecision>>();
        for (var i = 0; i < 30; i++)
        {
            tasks.Add((i % 2 == 0 ? a : b).TryAcquireAsync(policy, 5));
        }
        foreach (var decision in await Task.WhenAll(tasks))
        {
            admitted += decision.Allowed ? 1 : 0;
        }
        Assert.Equal(10, admitted);

        var refused = await a.TryAcquireAsync(policy, 5);
        Assert.False(refused.Allowed);
        Assert.Equal(10, refused.Limit);
        Assert.Equal(0, refused.Remaining);
        // One is earned back every 6 minutes.
        Assert.InRange(refused.RetryAfter, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(6));
        Assert.True((await b.TryAcquireAsync(policy, 6)).Allowed);
    }

    [Fact]
    public async Task TryAcquire_ReportsRemainingAndReset_AndTheKeyExpires()
    {
        var store = Gateway().RateLimits.Redis(Model());
        var policy = new RateLimitPolicy("p", 4, TimeSpan.FromSeconds(40));
        var first = await store.TryAcquireAsync(policy, 1);
        Assert.True(first.Allowed);
        Assert.Equal(3, first.Remaining);
        Assert.InRange(first.ResetAfter, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));
        var ttl = await store.Connection.GetDatabase().KeyTimeToLiveAsync(store.Key(policy, 1));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(11));
    }

    [Fact]
    public async Task SeveralLimits_AreDecidedTogether_ARefusalChargesNone()
    {
        var store = Gateway().RateLimits.Redis(Model());
        var wide = new RateLimitPolicy("wide", 100, Hour);
        var narrow = new RateLimitPolicy("narrow", 1, Hour);
        Assert.True((await store.TryAcquireAsync([wide, narrow], [1, 1], 2)).Allowed);
        for (var i = 0; i < 5; i++)
        {
            var refused = await store.TryAcquireAsync([wide, narrow], [1, 1], 2);
            Assert.False(refused.Allowed);
            Assert.Equal(1, refused.Limit);
        }
        Assert.Equal(99 - 1, (await store.TryAcquireAsync(wide, 1)).Remaining);
    }

    [Fact]
    public async Task Amounts_AreReservedThenReconciled()
    {
        var store = Gateway().RateLimits.Redis(Model());
        var tokens = new RateLimitPolicy("tokens", 1000, Hour);
        Assert.Equal(200, (await store.TryAcquireAsync(tokens, 3, 800)).Remaining);
        Assert.False((await store.TryAcquireAsync(tokens, 3, 300)).Allowed);
        await store.AdjustAsync(tokens, 3, -500);
        Assert.Equal(400, (await store.TryAcquireAsync(tokens, 3, 300)).Remaining);
        await store.AdjustAsync(tokens, 3, 1000);
        Assert.False((await store.TryAcquireAsync(tokens, 3, 1)).Allowed);
    }

    [Fact]
    public async Task Limiter_ReservesAndReconciles_OnRedis_AndAnswersUnavailableWhenDownWithDeny()
    {
        var limiter = new RateLimiter(Model(RateLimitErrorAction.Deny), Gateway());
        Assert.True(limiter.IsShared);
        var tokens = new SingleRateLimitKey(new RateLimitPolicy("tokens", 1000, Hour), 8);
        Assert.Equal(100, (await limiter.TryAcquireAsync(tokens, 900)).Remaining);
        await limiter.AdjustAsync(tokens.Policy(0), 8, -400);
        Assert.Equal(400, (await limiter.TryAcquireAsync(tokens, 100)).Remaining);

        _redis.Stop();
        var down = await limiter.TryAcquireAsync(tokens, 1);
        Assert.False(down.Allowed);
        Assert.True(down.BackendUnavailable);
    }

    [Fact]
    public async Task Decisions_AfterTheFirst_AreSentAsEvalsha()
    {
        var store = Gateway().RateLimits.Redis(Model());
        var policy = new RateLimitPolicy("sha", 100, Hour);
        for (var i = 0; i < 5; i++)
        {
            await store.TryAcquireAsync(policy, 1);
        }
        using var admin = await ConnectionMultiplexer.ConnectAsync($"{_redis.Address},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        Assert.True(stats.ContainsKey("cmdstat_evalsha"), string.Join(", ", stats.Keys));
        var evalsha = stats["cmdstat_evalsha"];
        Assert.StartsWith("calls=", evalsha);
        Assert.True(int.Parse(evalsha["calls=".Length..evalsha.IndexOf(',')]) >= 4, evalsha);
    }

    [Fact]
    public void Backends_KeepTheConnectionWhileTheAddressStays_AndMoveWithIt()
    {
        var backends = Gateway().RateLimits;
        var first = backends.Redis(Model());
        Assert.Same(first.Connection, backends.Redis(Model() with { Timeout = TimeSpan.FromSeconds(1) }).Connection);
        using var other = RedisServer.StartNew();
        var moved = backends.Redis(Model() with { Redis = other.Address });
        Assert.NotSame(first.Connection, moved.Connection);
    }

    [Fact]
    public void Stage_RedisStopped_OnBackendErrorLocal_DecidesOnLocalCounters()
    {
        var services = Gateway();
        var route = Route(rates: [Rate(3, Hour)]);
        var chain = RouteStages.Build(route, ConfigFor(route, Model()), services);
        Assert.Equal(StageOutcome.Continue, RunHead(Exchange(route, chain)));

        _redis.Stop();
        var outcomes = new List<StageOutcome>();
        for (var i = 0; i < 5; i++)
        {
            outcomes.Add(RunHead(Exchange(route, chain)));
        }
        // The local counters never saw the first request: three pass on them, then 429.
        Assert.Equal([StageOutcome.Continue, StageOutcome.Continue, StageOutcome.Continue, StageOutcome.Answered, StageOutcome.Answered], outcomes);
        Assert.Equal(5, services.Metrics.RateLimits.BackendErrors);
        Assert.Contains("fastgate_rate_limit_backend_errors_total 5", services.Metrics.Render([]));
    }

    [Fact]
    public void Stage_RedisHangs_TheTimeoutCountsAsABackendError()
    {
        var services = Gateway();
        var route = Route(rates: [Rate(100, Hour)]);
        var chain = RouteStages.Build(route, ConfigFor(route, Model() with { Timeout = TimeSpan.FromMilliseconds(200) }), services);
        Assert.Equal(StageOutcome.Continue, RunHead(Exchange(route, chain)));

        _redis.Pause();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(StageOutcome.Continue, RunHead(Exchange(route, chain)));
            Assert.Equal(1, services.Metrics.RateLimits.BackendErrors);
            // Decided by the configured timeout, well before the client's own (seconds).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        }
        finally
        {
            _redis.Resume();
        }
    }

    [Fact]
    public void Stage_RedisStopped_OnBackendErrorDeny_Answers503_AndRecoversWhenItIsBack()
    {
        var services = Gateway();
        var route = Route(rates: [Rate(100, Hour)]);
        var chain = RouteStages.Build(route, ConfigFor(route, Model(RateLimitErrorAction.Deny)), services);
        Assert.Equal(StageOutcome.Continue, RunHead(Exchange(route, chain)));

        _redis.Stop();
        var refused = Exchange(route, chain);
        Assert.Equal(StageOutcome.Answered, RunHead(refused));
        Assert.Equal(503, refused.LocalStatus);
        Assert.Equal(1, services.Metrics.RateLimits.BackendErrors);

        _redis.Start();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        StageOutcome outcome;
        do
        {
            Thread.Sleep(100);
            outcome = RunHead(Exchange(route, chain));
        }
        while (outcome != StageOutcome.Continue && DateTime.UtcNow < deadline);
        Assert.Equal(StageOutcome.Continue, outcome);
    }
}
