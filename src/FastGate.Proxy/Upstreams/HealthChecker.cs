using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using Job = FastGate.Proxy.Upstreams.EndpointJob<FastGate.Proxy.Config.HealthCheckModel>;

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
    private readonly GatewayLog _log;
    private readonly Action<EndpointState, HealthCheckResult> _report;
    private readonly EndpointJobs<HealthCheckModel> _jobs;

    /// <param name="report">Where results go; by default the endpoint's own <see cref="EndpointState.OnHealthCheck"/>.</param>
    public HealthChecker(GatewayLog log, Action<EndpointState, HealthCheckResult>? report = null)
    {
        _log = log;
        _report = report ?? ((endpoint, result) => endpoint.OnHealthCheck(result.Passed));
        _jobs = new EndpointJobs<HealthCheckModel>(RunAsync, static (old, now) => now.Interval != old.Interval || now.Jitter != old.Jitter);
    }

    /// <summary>The endpoints being checked now.</summary>
    public int Count => _jobs.Count;

    /// <summary>
    /// Makes the checked set that of <paramref name="clusters"/> (a committed snapshot's): new
    /// endpoints get a first check soon, endpoints that stay keep their schedule and take the
    /// cluster's current settings, endpoints no longer named stop being checked.
    /// </summary>
    public void Update(IEnumerable<Cluster> clusters) => _jobs.Update(Checked(clusters));

    /// <summary>Stops every check; the task completes when none is running any more.</summary>
    public Task StopAsync() => _jobs.StopAsync();

    public void Dispose() => _jobs.Dispose();

    // A list, not an iterator: a cluster's endpoints are a span, which cannot live across a yield.
    private static List<(EndpointState, string, HealthCheckModel)> Checked(IEnumerable<Cluster> clusters)
    {
        var wanted = new List<(EndpointState, string, HealthCheckModel)>();
        foreach (var cluster in clusters)
        {
            if (cluster.Model.Health is not { } health)
            {
                continue;
            }
            foreach (var endpoint in cluster.Endpoints)
            {
                wanted.Add((endpoint, cluster.Model.Name, health));
            }
        }
        return wanted;
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
        // The last check's result, null before the first.
        bool? passed = null;
        while (!stop.IsCancellationRequested)
        {
            (model, var cluster, var changed) = job.Read();
            var period = first ? jitter : Job.Period(model.Interval) + jitter;
            if (!await job.IsDueAsync(last, period, changed).ConfigureAwait(false))
            {
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
                var tls = endpoint.Cluster.Tls.For(endpoint.Cluster.Model.Tls);
                result = await HealthCheckProbe.RunAsync(endpoint.Addresses.Next(), model, endpoint.Model.HostHeader, stop,
                    tls, tls?.TargetHost(endpoint.Model)).ConfigureAwait(false);
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
            Report(endpoint, cluster, passed, result);
            passed = result.Passed;
        }
    }

    private void Report(EndpointState endpoint, string cluster, bool? previous, HealthCheckResult result)
    {
        // One line per change of result (and for a first check that fails), not per check: a
        // failing endpoint checked every second must not fill the journal.
        if (previous != result.Passed && (previous is not null || !result.Passed))
        {
            _log.Info($"health check: cluster '{cluster}' endpoint {endpoint.Address} {(result.Passed ? "passes" : "fails")}: {result.Detail}");
        }
        try
        {
            _report(endpoint, result);
        }
        catch (Exception ex)
        {
            _log.Error($"health check: cluster '{cluster}' endpoint {endpoint.Address}: {ex}");
        }
    }

    private static TimeSpan Jitter(HealthCheckModel model) =>
        model.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks(Random.Shared.NextInt64(model.Jitter.Ticks + 1)) : TimeSpan.Zero;
}
