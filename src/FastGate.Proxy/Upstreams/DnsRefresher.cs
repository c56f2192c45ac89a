using System.Diagnostics;
using System.Net;
using FastGate.Proxy.Observability;
using Job = FastGate.Proxy.Upstreams.EndpointJob<System.TimeSpan>;

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
    // A lookup that hangs must not stall the endpoint's refreshes for good.
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private static readonly long FailureLogTicks = Stopwatch.Frequency * 60;

    private readonly GatewayLog _log;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly EndpointJobs<TimeSpan> _jobs;

    /// <param name="resolve">The lookup; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> by default.</param>
    public DnsRefresher(GatewayLog log, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        _log = log;
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
        _jobs = new EndpointJobs<TimeSpan>(RunAsync, static (old, now) => now != old);
    }

    /// <summary>The endpoints being resolved now.</summary>
    public int Count => _jobs.Count;

    /// <summary>
    /// Makes the resolved set the host-name endpoints of <paramref name="clusters"/> (a committed
    /// snapshot's): new ones are resolved at once, those that stay keep their schedule and take the
    /// cluster's current interval, those no longer named stop.
    /// </summary>
    public void Update(IEnumerable<Cluster> clusters) => _jobs.Update(Resolved(clusters));

    /// <summary>Stops every refresh; the task completes when no lookup is running any more.</summary>
    public Task StopAsync() => _jobs.StopAsync();

    public void Dispose() => _jobs.Dispose();

    // A list, not an iterator: a cluster's endpoints are a span, which cannot live across a yield.
    private static List<(EndpointState, string, TimeSpan)> Resolved(IEnumerable<Cluster> clusters)
    {
        var wanted = new List<(EndpointState, string, TimeSpan)>();
        foreach (var cluster in clusters)
        {
            foreach (var endpoint in cluster.Endpoints)
            {
                if (endpoint.Addresses.HostName is not null)
                {
                    wanted.Add((endpoint, cluster.Model.Name, cluster.Model.DnsRefresh));
                }
            }
        }
        return wanted;
    }

    private async Task RunAsync(Job job)
    {
        var stop = job.Stop.Token;
        var failures = new WarningRateLimit(FailureLogTicks);
        long? last = null;
        while (!stop.IsCancellationRequested)
        {
            var (interval, cluster, changed) = job.Read();
            if (last is { } lastStart && !await job.IsDueAsync(lastStart, Job.Period(interval), changed).ConfigureAwait(false))
            {
                continue;
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
}
