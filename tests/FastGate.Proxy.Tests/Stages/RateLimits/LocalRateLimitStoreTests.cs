using FastGate.Proxy.Stages.RateLimits;

namespace FastGate.Proxy.Tests.Stages.RateLimits;

/// <summary>The table under the algorithm: sweeping, the key cap, concurrency slots.</summary>
public class LocalRateLimitStoreTests
{
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void Sweep_RemovesKeysWhoseLimitIsEarnedBack_KeepsTheOthers()
    {
        var store = new LocalRateLimitStore(_clock);
        var shortLimit = new RateLimitPolicy("short", 10, TimeSpan.FromSeconds(1));
        var longLimit = new RateLimitPolicy("long", 10, TimeSpan.FromHours(1));
        for (ulong key = 1; key <= 1000; key++)
        {
            store.TryAcquire(shortLimit, key);
        }
        store.TryAcquire(longLimit, 5);
        Assert.Equal(1001, store.Count);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1000, store.Sweep());
        Assert.Equal(1, store.Count);
        // The long limit's key kept its count.
        Assert.Equal(8, store.TryAcquire(longLimit, 5).Remaining);
    }

    [Fact]
    public void Sweep_RunsByItself_WhenDecisionsKeepComing()
    {
        var store = new LocalRateLimitStore(_clock, sweepInterval: TimeSpan.FromSeconds(10));
        var policy = new RateLimitPolicy("p", 10, TimeSpan.FromSeconds(1));
        for (ulong key = 1; key <= 100; key++)
        {
            store.TryAcquire(policy, key);
        }
        _clock.Advance(TimeSpan.FromSeconds(11));
        store.TryAcquire(policy, 1000);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (store.Sweeps == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.Equal(1, store.Sweeps);
        Assert.True(store.Count <= 1, $"{store.Count} cells left");
    }

    [Fact]
    public void TryAcquire_PastTheKeyCap_NewKeysShareOneCell()
    {
        var store = new LocalRateLimitStore(_clock, maxKeys: 10);
        var policy = new RateLimitPolicy("p", 3, TimeSpan.FromHours(1));
        for (ulong key = 1; key <= 10; key++)
        {
            Assert.True(store.TryAcquire(policy, key).Allowed);
        }
        var admitted = 0;
        for (ulong key = 100; key < 200; key++)
        {
            admitted += store.TryAcquire(policy, key).Allowed ? 1 : 0;
        }
        Assert.Equal(3, admitted);
        Assert.Equal(11, store.Count);
    }

    [Fact]
    public void TryEnter_UpToMax_ThenRefuses_ExitFreesASlot()
    {
        var store = new LocalRateLimitStore(_clock);
        Assert.True(store.TryEnter(1, 2, 9, out var a));
        Assert.True(store.TryEnter(1, 2, 9, out var b));
        Assert.Same(a, b);
        Assert.False(store.TryEnter(1, 2, 9, out _));
        Assert.True(store.TryEnter(1, 2, 10, out _));
        LocalRateLimitStore.Exit(a);
        Assert.True(store.TryEnter(1, 2, 9, out _));
        Assert.Equal(2, a.InFlightCount);
    }

    [Fact]
    public void Sweep_KeepsCellsWithSlotsTaken_AndRemovesThemOnceFree()
    {
        var store = new LocalRateLimitStore(_clock);
        Assert.True(store.TryEnter(1, 1, 9, out var cell));
        Assert.Equal(0, store.Sweep());
        Assert.False(store.TryEnter(1, 1, 9, out _));
        LocalRateLimitStore.Exit(cell);
        Assert.Equal(1, store.Sweep());
        Assert.True(store.TryEnter(1, 1, 9, out var fresh));
        Assert.NotSame(cell, fresh);
    }

    [Fact]
    public async Task TryAcquire_WhileSweepsRun_AdmitsEachKeyExactlyOnce()
    {
        // New cells are the ones a sweep may retire (their TAT is behind now) at the moment a first
        // decision lands on them: a lost update there would let a key in twice.
        var store = new LocalRateLimitStore();
        var policy = new RateLimitPolicy("once", 1, TimeSpan.FromHours(1));
        const int Keys = 20_000;
        var admitted = 0;
        using var stop = new CancellationTokenSource();
        var sweeper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                store.Sweep();
            }
        });
        Parallel.For(0, 4, _ =>
        {
            for (ulong key = 1; key <= Keys; key++)
            {
                if (store.TryAcquire(policy, key).Allowed)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        });
        stop.Cancel();
        await sweeper;
        Assert.Equal(Keys, admitted);
    }
}
