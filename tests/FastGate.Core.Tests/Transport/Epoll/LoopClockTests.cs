using System.Diagnostics;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

public class LoopClockTests
{
    private static Task<T> OnLoop<T>(EventLoop loop, Func<T> read)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() => done.TrySetResult(read()));
        return done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Now_OnLoopThread_IsTheTurnsTime_ReadOnceForTheTurn()
    {
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        var (first, afterWork, loopNow) = await OnLoop(loop, () =>
        {
            var first = LoopClock.Now;
            // Work that takes a while: the clock moves on, the turn's time does not.
            Thread.Sleep(5);
            return (first, LoopClock.Now, loop.Now);
        });
        Assert.Equal(first, afterWork);
        Assert.Equal(first, loopNow);
    }

    [Fact]
    public async Task Now_OnLoopThread_IsReadAgainNextTurn()
    {
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        var next = new TaskCompletionSource<(long Before, long Clock, long Next)>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            var before = LoopClock.Now;
            Thread.Sleep(5);
            var clock = Stopwatch.GetTimestamp();
            // Posted from the loop itself: runs on the next turn, after another epoll_wait.
            loop.Post(() => next.TrySetResult((before, clock, LoopClock.Now)));
        });
        var (beforeTurn, clockRead, nextTurn) = await next.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(clockRead > beforeTurn);
        Assert.True(nextTurn >= clockRead);
    }

    [Fact]
    public async Task Now_OnLoopThread_NeverGoesBackwardsOverManyTurns()
    {
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var last = 0L;
        var backwards = 0;
        var turns = 0;
        void Turn()
        {
            var now = LoopClock.Now;
            if (now < last)
            {
                backwards++;
            }
            last = now;
            if (++turns == 2_000)
            {
                done.TrySetResult(backwards);
                return;
            }
            loop.Post(Turn);
        }
        loop.Post(Turn);
        Assert.Equal(0, await done.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Now_ForWorkPostedFromAnotherThread_IsNotBeforeThePostersTime()
    {
        // A duration started off the loop (the poster's clock) and ended on it must not be negative.
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        for (var i = 0; i < 100; i++)
        {
            var posterTime = Stopwatch.GetTimestamp();
            var loopTime = await OnLoop(loop, () => LoopClock.Now);
            Assert.True(loopTime >= posterTime);
        }
    }

    [Fact]
    public async Task Now_OffTheLoop_ReadsTheClock()
    {
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        var loopTime = await OnLoop(loop, () => LoopClock.Now);
        Thread.Sleep(5);
        var before = Stopwatch.GetTimestamp();
        var offLoop = LoopClock.Now;
        var after = Stopwatch.GetTimestamp();
        Assert.Null(EventLoop.Current);
        Assert.InRange(offLoop, before, after);
        Assert.True(offLoop > loopTime);
    }

    private sealed class ReadyHandler(int index, long[] seen, TaskCompletionSource done) : IEpollHandler
    {
        public void OnEvents(uint events)
        {
            seen[index] = LoopClock.Now;
            // Each event's work takes a while, as a busy loop's would.
            var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 10_000);
            while (Stopwatch.GetTimestamp() < until)
            {
            }
            if (index == seen.Length - 1)
            {
                done.TrySetResult();
            }
        }
    }

    [Fact]
    public async Task Now_InALongBatchOfEvents_IsReadAgainWithinTheTurn()
    {
        // 40 descriptors readable before they are added: one epoll_wait returns them all.
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        const int Count = 40;
        var seen = new long[Count];
        var fds = new int[Count];
        var slots = new int[Count];
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            for (var i = 0; i < Count; i++)
            {
                fds[i] = Libc.EventFd(1, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
                slots[i] = loop.Register(new ReadyHandler(i, seen, done), fds[i], Libc.EPOLLIN | Libc.EPOLLET);
            }
        });
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await OnLoop(loop, () =>
        {
            for (var i = 0; i < Count; i++)
            {
                loop.Remove(fds[i]);
                loop.Release(slots[i]);
                Libc.Close(fds[i]);
            }
            return 0;
        });
        // Dispatched in order: the turn's time never goes back; the first events share it, and
        // the batch read the clock again before its end.
        for (var i = 1; i < Count; i++)
        {
            Assert.True(seen[i] >= seen[i - 1]);
        }
        Assert.Equal(seen[0], seen[1]);
        Assert.True(seen[Count - 1] > seen[0]);
    }
}
