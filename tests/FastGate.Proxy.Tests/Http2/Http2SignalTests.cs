using FastGate.Core.Tests.Transport.Epoll;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

public sealed class Http2SignalTests : IDisposable
{
    private readonly LoopTestHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>Waits on <paramref name="signal"/> from the loop thread; the task ends with the thread's loop after the wake.</summary>
    private Task<EventLoop?> WaitOnLoop(Http2Signal signal, TaskCompletionSource waiting)
    {
        var woken = new TaskCompletionSource<EventLoop?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _harness.Loop.Post(async () =>
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
        var signal = new Http2Signal(_harness.Loop);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var woken = WaitOnLoop(signal, waiting);
        await waiting.Task.WaitAsync(LoopTestHarness.Bound);

        await Task.Run(signal.Set);

        Assert.Same(_harness.Loop, await woken.WaitAsync(LoopTestHarness.Bound));
    }

    [Fact]
    public async Task Set_OnTheLoopThread_ResumesWaiterAfterTheCallerReturns()
    {
        var signal = new Http2Signal(_harness.Loop);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var woken = WaitOnLoop(signal, waiting);
        await waiting.Task.WaitAsync(LoopTestHarness.Bound);

        var resumedInsideSet = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _harness.Loop.Post(() =>
        {
            signal.Set();
            resumedInsideSet.SetResult(woken.IsCompleted);
        });

        Assert.False(await resumedInsideSet.Task.WaitAsync(LoopTestHarness.Bound));
        Assert.Same(_harness.Loop, await woken.WaitAsync(LoopTestHarness.Bound));
    }

    [Fact]
    public async Task Set_WithNobodyWaiting_IsKeptForTheNextWait()
    {
        var signal = new Http2Signal(_harness.Loop);
        signal.Set();

        var completed = await OnLoop(() => signal.WaitAsync().IsCompleted);

        Assert.True(completed);
    }

    private Task<T> OnLoop<T>(Func<T> action) => _harness.OnLoop(action);
}
