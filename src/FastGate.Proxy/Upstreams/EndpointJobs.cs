namespace FastGate.Proxy.Upstreams;

/// <summary>
/// A background job per endpoint, kept in step with the committed config: the lifecycle that
/// <see cref="HealthChecker"/> and <see cref="DnsRefresher"/> share, each giving its own loop and
/// saying which change of settings is a change of timing. An endpoint that stays across a reload
/// keeps its job, and so its schedule, so reloads do not make every endpoint's work fall due at
/// once. Jobs run on the thread pool; <see cref="Update"/> and <see cref="StopAsync"/> only start
/// and cancel them, so they are safe to call from an event loop. Thread-safe.
/// </summary>
internal sealed class EndpointJobs<TSettings>(
    Func<EndpointJob<TSettings>, Task> run,
    Func<TSettings, TSettings, bool> retimed) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<EndpointState, EndpointJob<TSettings>> _jobs = new();
    private readonly List<Task> _stopping = [];
    private bool _disposed;

    /// <summary>The endpoints with a job now.</summary>
    public int Count
    {
        get { lock (_lock) { return _jobs.Count; } }
    }

    /// <summary>
    /// Makes the set of jobs that of <paramref name="wanted"/> (an endpoint named twice keeps its
    /// first entry): new endpoints get a job, endpoints that stay take their new settings, endpoints
    /// no longer named have theirs stopped.
    /// </summary>
    public void Update(IEnumerable<(EndpointState Endpoint, string Cluster, TSettings Settings)> wanted)
    {
        // Built before taking the lock, so the caller's enumeration never runs under it.
        var next = new Dictionary<EndpointState, (string Cluster, TSettings Settings)>();
        foreach (var (endpoint, cluster, settings) in wanted)
        {
            next.TryAdd(endpoint, (cluster, settings));
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
                if (!next.ContainsKey(endpoint))
                {
                    // CancelAsync: the loop's wake-up runs on the pool, not on the reload's thread (maybe an event loop).
                    _ = job.Stop.CancelAsync();
                    _stopping.Add(job.Task);
                    _jobs.Remove(endpoint);
                }
            }
            foreach (var (endpoint, (cluster, settings)) in next)
            {
                if (_jobs.TryGetValue(endpoint, out var job))
                {
                    job.Apply(cluster, settings, retimed);
                    continue;
                }
                job = new EndpointJob<TSettings>(endpoint, cluster, settings);
                _jobs[endpoint] = job;
                job.Start(run);
            }
        }
    }

    /// <summary>Stops every job; the task completes when none is running any more.</summary>
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
        // Jobs end at their next await once cancelled; the bound only guards against a call that
        // ignores cancellation (a stuck socket, a resolver that does not look at its token).
        StopAsync().Wait(TimeSpan.FromSeconds(5));
    }
}
