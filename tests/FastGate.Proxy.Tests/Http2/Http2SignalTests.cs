using System.Collections.Concurrent;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

public sealed class Http2SignalTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<Exception> _loopErrors = new();
    private readonly EventLoop _loop;

    public Http2SignalTests()
    {
        _loop = new EventLoop(0, _loopErrors.Enqueue);
        _loop.Start();
    }

    public void Dispose()
    {
        _loop.Dispose();
        Assert.Empty(_loopErrors);
    }

    /// <summary>Waits on <paramref name="signal"/> from the loop thread; the task ends with the thread's loop after the wake.</summary>
    private Task<EventLoop?> WaitOnLoop(Http2Signal signal, TaskCompletionSource waiting)
    {
        var woken = new TaskCompletionSource<EventLoop?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(async () =>
        {
            var wait = signal.WaitAsync();
            waiting.SetResult();
            await wait.ConfigureAwait(false);
            woken.SetResult(EventLoop.Current);
        });
        return woken.Task;
    }

    [Fact]
    public async Task Set_FromAnotherThread_ResumesWaiterOnItsLoop()
    {
        var signal = new Http2Signal(_loop);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var woken = WaitOnLoop(signal, waiting);
        await waiting.Task.WaitAsync(Bound);

        await Task.Run(signal.Set);

        Assert.Same(_loop, await woken.WaitAsync(Bound));
    }

    [Fact]
    public async Task Set_OnTheLoopThread_ResumesWaiterAfterTheCallerReturns()
    {
        var signal = new Http2Signal(_loop);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var woken = WaitOnLoop(signal, waiting);
        await waiting.Task.WaitAsync(Bound);

        var resumedInsideSet = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() =>
        {
            signal.Set();
            resumedInsideSet.SetResult(woken.IsCompleted);
        });

        Assert.False(await resumedInsideSet.Task.WaitAsync(Bound));
        Assert.Same(_loop, await woken.WaitAsync(Bound));
    }

    [Fact]
    public async Task Set_WithNobodyWaiting_IsKeptForTheNextWait()
    {
        var signal = new Http2Signal(_loop);
        signal.Set();

        var completed = await OnLoop(() => signal.WaitAsync().IsCompleted);

        Assert.True(completed);
    }

    private Task<T> OnLoop<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() => done.SetResult(action()));
        return done.Task.WaitAsync(Bound);
    }
}
