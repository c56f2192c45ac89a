using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// Runs the active checks of every live cluster that has <c>[cluster.NAME.health]</c>: each endpoint
/// on its own schedule, every interval plus a random share of the jitter, one check at a time (a
/// check still running when the next is due delays it rather than overlapping it). Results go to
/// <see cref="EndpointState.OnHealthCheck"/>, which applies the thresholds.
/// Everything runs on the thread pool, never on an event loop: <see cref="Update"/> only starts
/// tasks. An endpoint that stays across a reload keeps its schedule, so reloads do not make every
/// endpoint be checked at once. Thread-safe.
/// </summary>
public sealed class HealthChecker : IDisposable
{
    // A zero interval must not become a loop that checks without pause.
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(10);

    // Task.Delay takes at most about 49 days; a longer wait is taken in steps.
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    private readonly GatewayLog _log;
    private readonly Action<EndpointState, HealthCheckResult> _report;
    private readonly Lock _lock = new();
    private readonly Dictionary<EndpointState, Job> _jobs = new();
    private readonly List<Task> _stopping = [];
    private bool _disposed;

    /// <param name="report">Where results go; by default the endpoint's own <see cref="EndpointState.OnHealthCheck"/>.</param>
    public HealthChecker(GatewayLog log, Action<EndpointState, HealthCheckResult>? report = null)
    {
        _log = log;
        _report = report ?? ((endpoint, result) => endpoint.OnHealthCheck(result.Passed));
    }

    /// <summary>The endpoints being checked now.</summary>
    public int Count
    {
        get { lock (_lock) { return _jobs.Count; } }
    }

    /// <summary>
    /// Makes the checked set that of <paramref name="clusters"/> (a committed snapshot's): new
    /// endpoints get a first check soon, endpoints that stay keep their schedule and take the
    /// cluster's current settings, endpoints no longer named stop being checked.
    /// </summary>
    public void Update(IEnumerable<Cluster> clusters)
    {
        var wanted = new Dictionary<EndpointState, (string Cluster, HealthCheckModel Health)>();
        foreach (var cluster in clusters)
        {
            if (cluster.Model.Health is not { } health)
            {
                continue;
            }
            foreach (var endpoint in cluster.Endpoints)
            {
                wanted.TryAdd(endpoint, (cluster.Model.Name, health));
            }
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _stopping.RemoveAll(task => task.IsCompleted);
            foreach (var (endpoint, job) in _jobs.ToArray())
            {
                if (!wanted.ContainsKey(endpoint))
                {
                    // CancelAsync: the loop's wake-up runs on the pool, not on the reload's thread (maybe an event loop).
                    _ = job.Stop.CancelAsync();
                    _stopping.Add(job.Task);
                    _jobs.Remove(endpoint);
                }
            }
            foreach (var (endpoint, (cluster, health)) in wanted)
            {
                if (_jobs.TryGetValue(endpoint, out var job))
                {
                    job.Apply(cluster, health);
                    continue;
                }
                job = new Job(endpoint, cluster, health);
                _jobs[endpoint] = job;
                job.Task = Task.Run(() => RunAsync(job));
            }
        }
    }

    /// <summary>Stops every check; the task completes when none is running any more.</summary>
    public Task StopAsync()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var job in _jobs.Values)
            {
                _ = job.Stop.CancelAsync();
                _stopping.Add(job.Task);
            }
            _jobs.Clear();
            var stopping = Task.WhenAll(_stopping);
            _stopping.Clear();
            return stopping;
        }
    }

    public void Dispose()
    {
        // Checks end at their next await once cancelled; the bound only guards against a stuck socket call.
        StopAsync().Wait(TimeSpan.FromSeconds(5));
    }

    private async Task RunAsync(Job job)
    {
        var stop = job.Stop.Token;
        var endpoint = job.Endpoint;
        var (model, _, _) = job.Read();
        // The first check comes within the jitter, so endpoints added together are not checked in step.
        var jitter = Jitter(model);
        var last = Stopwatch.GetTimestamp();
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            (model, var cluster, var changed) = job.Read();
            var period = first ? jitter : Max(model.Interval, MinInterval) + jitter;
            var wait = period - Stopwatch.GetElapsedTime(last);
            if (wait > TimeSpan.Zero)
            {
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var delay = Task.Delay(wait < MaxWait ? wait : MaxWait, waiting.Token);
                await Task.WhenAny(delay, changed).ConfigureAwait(false);
                waiting.Cancel();
                if (changed.IsCompleted)
                {
                    // New timing: the next check is due by it, counted from the last one.
                    (model, _, _) = job.Read();
                    jitter = Jitter(model);
                }
                continue;
            }

            last = Stopwatch.GetTimestamp();
            first = false;
            jitter = Jitter(model);
            HealthCheckResult result;
            try
            {
                result = await HealthCheckProbe.RunAsync(endpoint.Addresses.Next(), model, endpoint.Model.HostHeader, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                result = HealthCheckResult.Fail(ex.Message);
            }
            if (stop.IsCancellationRequested)
            {
                // The endpoint left the config while it was checked: the result no longer matters.
                return;
            }
            Report(job, cluster, result);
        }
    }

    private void Report(Job job, string cluster, HealthCheckResult result)
    {
        var previous = job.LastPassed;
        job.LastPassed = result.Passed;
        // One line per change of result (and for a first check that fails), not per check: a
        // failing endpoint checked every second must not fill the journal.
        if (previous != result.Passed && (previous is not null || !result.Passed))
        {
            _log.Info($"health check: cluster '{cluster}' endpoint {job.Endpoint.Address} {(result.Passed ? "passes" : "fails")}: {result.Detail}");
        }
        try
        {
            _report(job.Endpoint, result);
        }
        catch (Exception ex)
        {
            _log.Error($"health check: cluster '{cluster}' endpoint {job.Endpoint.Address}: {ex}");
        }
    }

    private static TimeSpan Jitter(HealthCheckModel model) =>
        model.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks(Random.Shared.NextInt64(model.Jitter.Ticks + 1)) : TimeSpan.Zero;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>One endpoint's schedule. The settings change under a lock; the rest is the loop's own.</summary>
    private sealed class Job(EndpointState endpoint, string cluster, HealthCheckModel model)
    {
        private readonly Lock _lock = new();
        private string _cluster = cluster;
        private HealthCheckModel _model = model;
        // Completed when the timing changes, to cut a wait short; continuations run off the reload thread.
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EndpointState Endpoint { get; } = endpoint;
        public CancellationTokenSource Stop { get; } = new();
        public Task Task { get; set; } = Task.CompletedTask;

        /// <summary>The last check's result, null before the first; touched by the loop only.</summary>
        public bool? LastPassed { get; set; }

        public void Apply(string cluster, HealthCheckModel model)
        {
            lock (_lock)
            {
                var retimed = model.Interval != _model.Interval || model.Jitter != _model.Jitter;
                _cluster = cluster;
                _model = model;
                if (retimed)
                {
                    _changed.TrySetResult();
                }
            }
        }

        /// <summary>The settings in force and a task that completes when their timing next changes.</summary>
        public (HealthCheckModel Model, string Cluster, Task Changed) Read()
        {
            lock (_lock)
            {
                if (_changed.Task.IsCompleted)
                {
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                return (_model, _cluster, _changed.Task);
            }
        }
    }
}
