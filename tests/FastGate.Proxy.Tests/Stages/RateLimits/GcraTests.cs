using FastGate.Proxy.Stages.RateLimits;

namespace FastGate.Proxy.Tests.Stages.RateLimits;

/// <summary>The algorithm on the local store, with the clock in the test's hand.</summary>
public class GcraTests
{
    private readonly ManualTimeProvider _clock = new();

    private LocalRateLimitStore Store() => new(_clock);

    private static int Admitted(LocalRateLimitStore store, RateLimitPolicy policy, ulong key, int attempts)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
        {
            if (store.TryAcquire(policy, key).Allowed)
            {
                admitted++;
            }
        }
        return admitted;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(100)]
    public void TryAcquire_FreshKey_AdmitsTheWholeLimitThenRefuses(int limit)
    {
        var store = Store();
        var policy = new RateLimitPolicy("r", limit, TimeSpan.FromMinutes(1));
        Assert.Equal(limit, Admitted(store, policy, 42, limit + 10));
    }

    [Fact]
    public void TryAcquire_Admitted_ReportsRemainingAndReset()
    {
        var store = Store();
        var policy = new RateLimitPolicy("r", 10, TimeSpan.FromSeconds(10));
        var first = store.TryAcquire(policy, 1);
        Assert.True(first.Allowed);
        Assert.Equal(10, first.Limit);
        Assert.Equal(9, first.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(1), first.ResetAfter);
        for (var i = 0; i < 8; i++)
        {
            store.TryAcquire(policy, 1);
        }
        var last = store.TryAcquire(policy, 1);
        Assert.True(last.Allowed);
        Assert.Equal(0, last.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(10), last.ResetAfter);
    }

    [Fact]
    public void TryAcquire_Refused_SaysWhenTheNextOnePasses()
    {
        var store = Store();
        var policy = new RateLimitPolicy("r", 4, TimeSpan.FromSeconds(8));
        Admitted(store, policy, 1, 4);
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        var refused = store.TryAcquire(policy, 1);
        Assert.False(refused.Allowed);
        Assert.Equal(0, refused.Remaining);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), refused.RetryAfter);
        Assert.Equal(2, RateLimitDecision.CeilSeconds(refused.RetryAfter));

        _clock.Advance(TimeSpan.FromMilliseconds(1499));
        Assert.False(store.TryAcquire(policy, 1).Allowed);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(store.TryAcquire(policy, 1).Allowed);
        Assert.False(store.TryAcquire(policy, 1).Allowed);
    }

    [Fact]
    public void TryAcquire_OverTime_AdmitsTheConfiguredRateAndNoDoubleBurstAtAWindowEdge()
    {
        var store = Store();
        var policy = new RateLimitPolicy("r", 60, TimeSpan.FromMinutes(1));
        var admitted = Admitted(store, policy, 7, 200);
        // Ten minutes of one attempt every 100 ms: a fixed window would let 60 more through at each
        // minute's edge at once; GCRA earns one back each second.
        for (var step = 0; step < 6000; step++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            admitted += Admitted(store, policy, 7, 1);
        }
        Assert.Equal(60 + 600, admitted);
    }

    [Fact]
    public void TryAcquire_KeysAndLimits_AreCountedApart()
    {
        var store = Store();
        var a = new RateLimitPolicy("a", 2, TimeSpan.FromMinutes(1));
        var b = new RateLimitPolicy("b", 2, TimeSpan.FromMinutes(1));
        Assert.Equal(2, Admitted(store, a, 1, 5));
        Assert.Equal(2, Admitted(store, a, 2, 5));
        Assert.Equal(2, Admitted(store, b, 1, 5));
    }

    [Fact]
    public void TryAcquire_Amount_ReservesThatMuchAndRefusesWhatDoesNotFit()
    {
        var store = Store();
        var tokens = new RateLimitPolicy("tokens", 1000, TimeSpan.FromMinutes(1));
        var reserve = store.TryAcquire(tokens, 9, 700);
        Assert.True(reserve.Allowed);
        Assert.Equal(300, reserve.Remaining);
        var tooMuch = store.TryAcquire(tokens, 9, 400);
        Assert.False(tooMuch.Allowed);
        Assert.Equal(300, tooMuch.Remaining);
        Assert.True(store.TryAcquire(tokens, 9, 300).Allowed);
    }

    [Fact]
    public void Adjust_RefundsAndCharges_TheReconcileStepOfAReservation()
    {
        var store = Store();
        var tokens = new RateLimitPolicy("tokens", 1000, TimeSpan.FromMinutes(1));
        Assert.True(store.TryAcquire(tokens, 9, 800).Allowed);
        // The real usage was 200: give 600 back.
        store.Adjust(tokens, 9, -600);
        Assert.Equal(800, store.TryAcquire(tokens, 9, 0).Remaining);
        // Then a request used 500 more than it reserved: the debt is charged without a check.
        store.Adjust(tokens, 9, 1000);
        Assert.False(store.TryAcquire(tokens, 9, 1).Allowed);
    }

    [Fact]
    public async Task Limiter_Local_DecidesSynchronously_AllOrNone()
    {
        var limiter = new RateLimiter(new FastGate.Proxy.Config.RateLimitModel(), RateLimitTestKit.Services());
        Assert.False(limiter.IsShared);
        var policy = new RateLimitPolicy("tokens", 1000, TimeSpan.FromMinutes(1));
        var reserve = limiter.TryAcquireAsync(new SingleRateLimitKey(policy, 4), 600);
        Assert.True(reserve.IsCompletedSuccessfully);
        Assert.Equal(400, (await reserve).Remaining);
        Assert.True(limiter.AdjustAsync(policy, 4, -100).IsCompletedSuccessfully);
        Assert.Equal(0, (await limiter.TryAcquireAsync(new SingleRateLimitKey(policy, 4), 500)).Remaining);
    }

    [Fact]
    public void TryAcquire_ManyThreads_AdmitExactlyTheLimit()
    {
        var store = new LocalRateLimitStore();
        var policy = new RateLimitPolicy("r", 5000, TimeSpan.FromHours(1));
        var admitted = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 2000; i++)
            {
                if (store.TryAcquire(policy, 3).Allowed)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        });
        Assert.Equal(5000, admitted);
    }

    [Fact]
    public void Policy_SameIdentity_SameId_OtherIdentity_OtherId()
    {
        Assert.Equal(new RateLimitPolicy("api\n5/60000ms/client", 5, TimeSpan.FromMinutes(1)).Id, new RateLimitPolicy("api\n5/60000ms/client", 5, TimeSpan.FromMinutes(1)).Id);
        Assert.NotEqual(new RateLimitPolicy("api\n5/60000ms/client", 5, TimeSpan.FromMinutes(1)).Id, new RateLimitPolicy("api\n6/60000ms/client", 6, TimeSpan.FromMinutes(1)).Id);
    }
}
