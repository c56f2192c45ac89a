using System.Diagnostics;
using System.Net;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// Resolves the endpoints given by host name: once as soon as they appear, then every cluster's
/// <c>dns_refresh</c>, and hands each answer to the endpoint's <see cref="EndpointAddresses"/>.
/// A failed lookup keeps the last good answer (a resolver outage must not take the upstreams
/// away) and says so at most once a minute per endpoint. Runs on the thread pool, like
/// <see cref="HealthChecker"/>, and follows the same lifecycle: an endpoint that stays across a
/// reload keeps its schedule. Thread-safe.
/// </summary>
public sealed class DnsRefresher : IDisposable
{
    // A zero interval must not become a loop that resolves without pause.
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(10);

    // Task.Delay takes at most about 49 days; a longer wait is taken in steps.
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    // A lookup that hangs must not stall the endpoint's refreshes for good.
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private static readonly long FailureLogTicks = Stopwatch.Frequency * 60;

    private readonly GatewayLog _log;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly Lock _lock = new();
    private readonly Dictionary<EndpointState, Job> _jobs = new();
    private readonly List<Task> _stopping = [];
    private bool _disposed;

    /// <param name="resolve">The lookup; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> by default.</param>
    public DnsRefresher(GatewayLog log, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        _log = log;
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
    }

    /// <summary>The endpoints being resolved now.</summary>
    public int Count
    {
        get { lock (_lock) { return _jobs.Count; } }
    }

    /// <summary>
    /// Makes the resolved set the host-name endpoints of <paramref name="clusters"/> (a committed
    /// snapshot's): new ones are resolved at once, those that stay keep their schedule and take the
    /// cluster's current interval, those no longer named stop.
    /// </summary>
    public void Update(IEnumerable<Cluster> clusters)
    {
        var wanted = new Dictionary<EndpointState, (string Cluster, TimeSpan Interval)>();
        foreach (var cluster in clusters)
        {
            foreach (var endpoint in cluster.Endpoints)
            {
                if (endpoint.Addresses.HostName is not null)
                {
                    wanted.TryAdd(endpoint, (cluster.Model.Name, cluster.Model.DnsRefresh));
                }
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
            foreach (var (endpoint, (cluster, interval)) in wanted)
            {
                if (_jobs.TryGetValue(endpoint, out var job))
                {
                    job.Apply(cluster, interval);
                    continue;
                }
                job = new Job(endpoint, cluster, interval);
                _jobs[endpoint] = job;
                job.Task = Task.Run(() => RunAsync(job));
            }
        }
    }

    /// <summary>Stops every refresh; the task completes when no lookup is running any more.</summary>
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
        // Lookups end once cancelled; the bound only guards against a resolver that ignores it.
        StopAsync().Wait(TimeSpan.FromSeconds(5));
    }

    private async Task RunAsync(Job job)
    {
        var stop = job.Stop.Token;
        var failures = new WarningRateLimit(FailureLogTicks);
        long? last = null;
        while (!stop.IsCancellationRequested)
        {
            var (interval, cluster, changed) = job.Read();
            if (last is { } lastStart)
            {
                var wait = Max(interval, MinInterval) - Stopwatch.GetElapsedTime(lastStart);
                if (wait > TimeSpan.Zero)
                {
                    using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    var delay = Task.Delay(wait < MaxWait ? wait : MaxWait, waiting.Token);
                    await Task.WhenAny(delay, changed).ConfigureAwait(false);
                    waiting.Cancel();
                    continue;
                }
            }
            last = Stopwatch.GetTimestamp();
            await RefreshAsync(job.Endpoint, cluster, failures, stop).ConfigureAwait(false);
        }
    }

    private async Task RefreshAsync(EndpointState endpoint, string cluster, WarningRateLimit failures, CancellationToken stop)
    {
        var addresses = endpoint.Addresses;
        var name = addresses.HostName!;
        string? error;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(LookupTimeout);
            // WaitAsync: a resolver that ignores the token still cannot hold the schedule.
            var answer = await _resolve(name.Host, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            if (stop.IsCancellationRequested)
            {
                return;
            }
            if (answer.Length > 0)
            {
                if (addresses.Update(answer))
                {
                    _log.Info($"dns: cluster '{cluster}' endpoint {endpoint.Address} resolves to {string.Join(", ", addresses.Current)}");
                }
                return;
            }
            error = "no addresses";
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            error = $"timed out after {LookupTimeout.TotalSeconds:0} s";
        }
        catch (Exception ex)
        {
            error = ex.Message;
        }

        if (failures.TryAcquire(Stopwatch.GetTimestamp(), out var suppressed))
        {
            var current = addresses.Current;
            var kept = current.Count > 0
                ? $"keeping {string.Join(", ", current)}"
                : "connections resolve the name themselves until a lookup succeeds";
            var more = suppressed > 0 ? $"; {suppressed} more failure(s) since the last line" : "";
            _log.Warn($"dns: cluster '{cluster}' endpoint {endpoint.Address}: lookup of '{name.Host}' failed ({error}); {kept}{more}");
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>One endpoint's schedule. The interval changes under a lock; the rest is the loop's own.</summary>
    private sealed class Job(EndpointState endpoint, string cluster, TimeSpan interval)
    {
        private readonly Lock _lock = new();
        private string _cluster = cluster;
        private TimeSpan _interval = interval;
        // Completed when the interval changes, to cut a wait short; continuations run off the reload thread.
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EndpointState Endpoint { get; } = endpoint;
        public CancellationTokenSource Stop { get; } = new();
        public Task Task { get; set; } = Task.CompletedTask;

        public void Apply(string cluster, TimeSpan interval)
        {
            lock (_lock)
            {
                _cluster = cluster;
                if (interval != _interval)
                {
                    _interval = interval;
                    _changed.TrySetResult();
                }
            }
        }

        /// <summary>The interval in force and a task that completes when it next changes.</summary>
        public (TimeSpan Interval, string Cluster, Task Changed) Read()
        {
            lock (_lock)
            {
                if (_changed.Task.IsCompleted)
                {
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                return (_interval, _cluster, _changed.Task);
            }
        }
    }
}
