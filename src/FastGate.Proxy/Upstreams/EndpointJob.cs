using System.Diagnostics;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// One endpoint's background job in <see cref="EndpointJobs{TSettings}"/>: its settings, which a
/// reload changes under a lock, and what its loop needs to wait for its next turn. The rest of the
/// loop's state is the loop's own.
/// </summary>
internal sealed class EndpointJob<TSettings>(EndpointState endpoint, string cluster, TSettings settings)
{
    // A zero interval must not become a loop that works without pause.
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(10);

    // Task.Delay takes at most about 49 days; a longer wait is taken in steps.
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    private readonly Lock _lock = new();
    private string _cluster = cluster;
    private TSettings _settings = settings;
    // Completed when the timing changes, to cut a wait short; continuations run off the reload thread.
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EndpointState Endpoint { get; } = endpoint;
    public CancellationTokenSource Stop { get; } = new();
    public Task Task { get; private set; } = Task.CompletedTask;

    /// <summary>The configured interval, no shorter than the floor that keeps a loop from spinning.</summary>
    public static TimeSpan Period(TimeSpan interval) => interval > MinInterval ? interval : MinInterval;

    /// <summary>Starts <paramref name="run"/> on the thread pool, never on the caller's thread (maybe an event loop).</summary>
    public void Start(Func<EndpointJob<TSettings>, Task> run) => Task = Task.Run(() => run(this));

    /// <summary>Takes a reload's settings; a wait is cut short when <paramref name="retimed"/> says the timing changed.</summary>
    public void Apply(string cluster, TSettings settings, Func<TSettings, TSettings, bool> retimed)
    {
        lock (_lock)
        {
            var changed = retimed(_settings, settings);
            _cluster = cluster;
            _settings = settings;
            if (changed)
            {
                _changed.TrySetResult();
            }
        }
    }

    /// <summary>The settings in force and a task that completes when their timing next changes.</summary>
    public (TSettings Settings, string Cluster, Task Changed) Read()
    {
        lock (_lock)
        {
            if (_changed.Task.IsCompleted)
            {
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return (_settings, _cluster, _changed.Task);
        }
    }

    /// <summary>
    /// True at once when <paramref name="period"/> has passed since <paramref name="since"/> (a
    /// <see cref="Stopwatch"/> timestamp): the work is due. Otherwise waits until
    /// it passes, <paramref name="changed"/> (from <see cref="Read"/>) completes or the job stops, and
    /// returns false: the caller reads its settings and asks again, since new timing may move the
    /// due time either way.
    /// </summary>
    public async Task<bool> IsDueAsync(long since, TimeSpan period, Task changed)
    {
        var wait = period - Stopwatch.GetElapsedTime(since);
        if (wait <= TimeSpan.Zero)
        {
            return true;
        }
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(Stop.Token);
        var delay = Task.Delay(wait < MaxWait ? wait : MaxWait, waiting.Token);
        await Task.WhenAny(delay, changed).ConfigureAwait(false);
        waiting.Cancel();
        return false;
    }
}
