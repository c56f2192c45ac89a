using System.Diagnostics;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

public class EventLoopTests
{
    private sealed class Signal(TaskCompletionSource<long> done) : ILoopTimerTarget
    {
        public void OnTimer(long now) => done.TrySetResult(now);
    }

    [Fact]
    public async Task Timer_ScheduledOnLoop_FiresOnLoopThread()
    {
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        var fired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var due = 0L;
        loop.Post(() =>
        {
            due = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5;
            loop.Timers.Create(new Signal(fired)).Schedule(due);
        });
        var now = await fired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(now >= due);
    }

    [Fact]
    public void Post_FromOtherThreads_EachRuns_WithNothingElseToWakeTheLoop()
    {
        // Each poster waits for its item before posting the next, so when a wake-up is lost no
        // later post rescues it: the loop sleeps (no timer, no I/O) and the wait runs out.
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        var posters = new Thread[2];
        var failures = 0;
        for (var p = 0; p < posters.Length; p++)
        {
            posters[p] = new Thread(() =>
            {
                using var ran = new ManualResetEventSlim();
                for (var i = 0; i < 20_000; i++)
                {
                    ran.Reset();
                    loop.Post(ran.Set);
                    if (!ran.Wait(TimeSpan.FromSeconds(10)))
                    {
                        Interlocked.Increment(ref failures);
                        return;
                    }
                }
            });
            posters[p].Start();
        }
        foreach (var poster in posters)
        {
            poster.Join();
        }
        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task Timer_WithOnlyDistantTimersBesideIt_FiresWhenScheduledFromAPost()
    {
        // The loop sleeps towards a timer a minute out; a timer scheduled by posted work must cut
        // that sleep short rather than wait for it.
        using var loop = new EventLoop(0, ex => throw ex);
        loop.Start();
        var distant = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() => loop.Timers.Create(new Signal(distant)).Schedule(Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency));
        await Task.Delay(100);
        var fired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() => loop.Timers.Create(new Signal(fired)).Schedule(Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20));
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(distant.Task.IsCompleted);
    }
}
