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
}
