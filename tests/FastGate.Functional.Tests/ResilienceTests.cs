using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests;

/// <summary>
/// Upstream failure as a client sees it: the real daemon in front of three real mock upstreams
/// on loopback, whose failure modes (crash, latency, 503s, a failing health endpoint) are
/// switched on while a client keeps sending. Each mock names itself in <c>x-upstream</c>, so the
/// traffic each endpoint received is counted from the answers, and the mocks count what reached
/// them (<c>/__mock/stats</c>). Every process is killed when a test ends, whatever it asserted.
/// </summary>
public sealed class ResilienceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Get_OneOfThreeKilledAndRestartedUnderLoad_NoClientSeesTheFailureAndTrafficReturns()
    {
        await using var mocks = await Upstreams.StartAsync([], [], []);
        await using var gateway = await FastGateProcess.StartAsync(Config(mocks, """
            lb = "round_robin"

            [cluster.mock.health]
            path = "/healthz"
            interval = "1s"
            timeout = "500ms"
            healthy = 2
            unhealthy = 2
            jitter = "100ms"

            [cluster.mock.outlier]
            consecutive_failures = 3
            base_ejection_time = "2s"
            max_ejection_time = "10s"

            [cluster.mock.retry]
            attempts = 2
            on = ["connect-failure", "reset", "timeout"]
            budget = "50%"
            budget_min = 5
            per_try_timeout = "2s"
            """));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));
        await using var load = Load.Start(client, workers: 4);
        var victim = mocks[1];
        var endpoint = Labels(victim);

        await Task.Delay(TimeSpan.FromSeconds(2));
        await victim.KillAsync();
        var killedAt = Stopwatch.StartNew();
        // While it is down, the daemon has to say so: taken out by the health checks or ejected
        // on its connect failures (either one is enough to stop sending it requests).
        var sawDown = false;
        while (killedAt.Elapsed < TimeSpan.FromSeconds(4))
        {
            var metrics = await gateway.MetricsAsync();
            sawDown |= FastGateProcess.MetricSample(metrics, "fastgate_upstream_healthy", endpoint) == 0
                       || FastGateProcess.MetricSum(metrics, "fastgate_upstream_ejections_total", endpoint) > 0;
            await Task.Delay(250);
        }
        var back = await mocks.RestartAsync(1);
        var restartedAt = Stopwatch.StartNew();
        // The restarted process counts from zero: anything it counts came through the gateway.
        while (await back.RequestsAsync() == 0)
        {
            Assert.True(restartedAt.Elapsed < Generous, $"no request reached the restarted endpoint within {Generous.TotalSeconds} s");
            await Task.Delay(100);
        }
        var returnedAfter = restartedAt.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(1));
        await load.StopAsync();

        output.WriteLine($"{load.Total} requests, {load.Failures.Count} failed; back in rotation {returnedAfter.TotalSeconds:0.0} s after restart; served by {load.Summary()}");
        foreach (var failure in load.Failures.Take(10))
        {
            output.WriteLine(failure);
        }
        Assert.True(load.Total > 1000, $"only {load.Total} requests completed");
        Assert.True(load.Failures.Count * 1000 < load.Total, $"{load.Failures.Count} of {load.Total} requests failed (more than 0.1 %): {string.Join("; ", load.Failures.Take(5))}");
        Assert.True(sawDown, $"/metrics never showed {endpoint} unhealthy or ejected while it was down");
        Assert.True(load.Served(victim.Name) > 0, "the victim served nothing before it was killed");
    }

    [Fact]
    public async Task Get_OneEndpointResetsBeforeAnyResponseByte_RetriedElsewhereWithoutClientErrors()
    {
        await using var mocks = await Upstreams.StartAsync([], ["--reset-rate", "1", "--reset-at", "start"], []);
        await using var gateway = await FastGateProcess.StartAsync(Config(mocks, """
            lb = "round_robin"

            [cluster.mock.retry]
            attempts = 2
            on = ["reset"]
            budget = "100%"
            budget_min = 10
            """));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));

        var results = await SendAsync(client, total: 300, workers: 4);

        var resets = await mocks[1].ResetsAsync();
        var retries = FastGateProcess.MetricSum(await gateway.MetricsAsync(), "fastgate_upstream_retries_total", "cluster=\"mock\"");
        output.WriteLine($"{results.Count} requests, {resets} reset by b, retries_total {retries}");
        Assert.All(results, r => Assert.Equal(200, r.Status));
        // The failure did happen (b was tried and reset the connection): the retries hid it.
        Assert.True(resets > 0, "b was never tried");
        Assert.True(retries >= resets, $"{resets} resets but retries_total {retries}");
    }

    [Fact]
    public async Task Get_OneEndpointSlow_DefaultBalancingGivesItFarLessTraffic()
    {
        await using var mocks = await Upstreams.StartAsync([], ["--latency", "50"], []);
        // No lb: the default (peak_ewma) is what is tested.
        await using var gateway = await FastGateProcess.StartAsync(Config(mocks, ""));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));

        var results = await SendAsync(client, total: 1200, workers: 8);

        var served = results.GroupBy(r => r.Upstream).ToDictionary(g => g.Key ?? "(none)", g => g.Count());
        output.WriteLine(string.Join(", ", served.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.All(results, r => Assert.Equal(200, r.Status));
        var slow = served.GetValueOrDefault(mocks[1].Name);
        var fast = (served.GetValueOrDefault(mocks[0].Name) + served.GetValueOrDefault(mocks[2].Name)) / 2.0;
        // Round robin gives each a third (ratio 1); latency-aware picking leaves the slow one a
        // small share. Half the mean of the fast ones separates the two with room to spare.
        Assert.True(slow < 0.5 * fast, $"slow endpoint served {slow}, the fast ones {fast:0} on average");
    }

    [Fact]
    public async Task Get_EveryEndpointAnswers503WithRetryOn503_RetryBudgetCapsUpstreamRequests()
    {
        // Latency keeps requests in flight, so retries compete with first tries for the budget
        // (a share of the requests active) instead of each finishing before the next starts.
        string[] failing = ["--fail-rate", "1", "--fail-status", "503", "--latency", "50"];
        await using var mocks = await Upstreams.StartAsync(failing, failing, failing);
        await using var gateway = await FastGateProcess.StartAsync(Config(mocks, """
            lb = "round_robin"

            [cluster.mock.retry]
            attempts = 3
            on = ["503"]
            budget = "20%"
            budget_min = 3
            """));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));

        const int total = 400;
        var results = await SendAsync(client, total, workers: 20);

        long upstream = 0;
        foreach (var mock in mocks)
        {
            upstream += await mock.RequestsAsync();
        }
        var metrics = await gateway.MetricsAsync();
        var retries = FastGateProcess.MetricSum(metrics, "fastgate_upstream_retries_total", "cluster=\"mock\"");
        var exhausted = FastGateProcess.MetricSum(metrics, "fastgate_upstream_retry_budget_exhausted_total", "cluster=\"mock\"");
        output.WriteLine($"{total} client requests, {upstream} upstream requests, retries_total {retries}, budget_exhausted_total {exhausted}");
        Assert.All(results, r => Assert.Equal(503, r.Status));
        // Unbudgeted, three tries each would make 3 × total. The budget (20 % of the requests
        // active, at least 3) holds retries to about a quarter of the first tries here; 1.5 ×
        // leaves room for either way of counting the share and still fails a missing budget.
        Assert.True(upstream <= total * 1.5 + 3, $"{upstream} upstream requests for {total} client requests: the retry budget did not hold");
        Assert.True(upstream > total, $"{upstream} upstream requests for {total} client requests: no retry at all");
        Assert.True(retries > 0, "fastgate_upstream_retries_total stayed 0");
        Assert.True(exhausted > 0, "fastgate_upstream_retry_budget_exhausted_total stayed 0");
    }

    [Fact]
    public async Task Get_MoreConcurrentRequestsThanMaxRequests_ExcessAnswered503AtOnceWithCircuitHeader()
    {
        const int latencyMs = 2000;
        await using var mocks = await Upstreams.StartAsync(["--latency", latencyMs.ToString(CultureInfo.InvariantCulture)]);
        await using var gateway = await FastGateProcess.StartAsync(Config(mocks, """
            [cluster.mock.circuit]
            max_connections = 0
            max_pending = 0
            max_requests = 4
            """));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));

        var results = await SendAsync(client, total: 10, workers: 10);

        foreach (var r in results)
        {
            output.WriteLine($"{r.Status} after {r.Elapsed.TotalMilliseconds:0} ms, circuit '{r.Circuit}'");
        }
        var ok = results.Where(r => r.Status == 200).ToList();
        var rejected = results.Where(r => r.Status == 503).ToList();
        Assert.Equal(4, ok.Count);
        Assert.Equal(6, rejected.Count);
        Assert.All(rejected, r => Assert.Equal("max_requests", r.Circuit));
        // At once: before the upstream could have answered anything.
        Assert.All(rejected, r => Assert.True(r.Elapsed < TimeSpan.FromMilliseconds(latencyMs), $"a 503 took {r.Elapsed.TotalMilliseconds:0} ms"));
        Assert.All(ok, r => Assert.Null(r.Circuit));
        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_upstream_circuit_open_total", "cluster=\"mock\"", "cap=\"max_requests\"") > 0,
            "fastgate_upstream_circuit_open_total{cap=\"max_requests\"} stayed 0");
    }

    [Fact]
    public async Task Get_HealthEndpointFailsThenRecovers_EndpointLeavesAndReturnsWithoutFailedRequests()
    {
        await using var mocks = await Upstreams.StartAsync([], [], []);
        await using var gateway = await FastGateProcess.StartAsync(Config(mocks, """
            lb = "round_robin"

            [cluster.mock.health]
            path = "/healthz"
            interval = "1s"
            timeout = "500ms"
            healthy = 2
            unhealthy = 2
            jitter = "100ms"
            expected_statuses = ["200-299"]
            """));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));
        await using var load = Load.Start(client, workers: 3);
        var sick = mocks[1];
        var endpoint = Labels(sick);

        await WaitAsync(async () => await sick.RequestsAsync() > 0, "the endpoint to receive traffic before its health fails");
        await sick.SetFaultsAsync("health=fail");
        var flipped = Stopwatch.StartNew();
        // Out of rotation: its count stands still for a whole second (in-flight requests drain first).
        await WaitAsync(async () =>
        {
            var before = await sick.RequestsAsync();
            await Task.Delay(1000);
            return await sick.RequestsAsync() == before;
        }, "the endpoint with the failing health check to stop receiving requests");
        var leftAfter = flipped.Elapsed;
        Assert.Equal(0, FastGateProcess.MetricSample(await gateway.MetricsAsync(), "fastgate_upstream_healthy", endpoint));

        await sick.SetFaultsAsync("health=ok");
        flipped.Restart();
        var stood = await sick.RequestsAsync();
        await WaitAsync(async () => await sick.RequestsAsync() > stood, "the endpoint to receive traffic again once its health passes");
        var returnedAfter = flipped.Elapsed;
        Assert.Equal(1, FastGateProcess.MetricSample(await gateway.MetricsAsync(), "fastgate_upstream_healthy", endpoint));
        await load.StopAsync();

        output.WriteLine($"{load.Total} requests, {load.Failures.Count} failed; out after {leftAfter.TotalSeconds:0.0} s, back after {returnedAfter.TotalSeconds:0.0} s; served by {load.Summary()}");
        Assert.Empty(load.Failures);
        Assert.True(load.Total > 100, $"only {load.Total} requests completed");
    }

    /// <summary>The test's config: every path to cluster <c>mock</c> over the mocks, plus <paramref name="cluster"/> TOML.</summary>
    private static string Config(Upstreams mocks, string cluster) => UpstreamsFixture.SimpleConfig(mocks.Select(m => m.Address), cluster);

    private static string[] Labels(MockUpstreamProcess mock) => ["cluster=\"mock\"", $"endpoint=\"{mock.Address}\""];

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Generous, $"waited {Generous.TotalSeconds} s for {what}");
            await Task.Delay(100);
        }
    }

    private sealed record Result(int Status, string? Upstream, string? Circuit, TimeSpan Elapsed);

    /// <summary><paramref name="total"/> GETs of / from <paramref name="workers"/> concurrent loops; a transport failure fails the test.</summary>
    private static async Task<List<Result>> SendAsync(HttpClient client, int total, int workers)
    {
        var results = new ConcurrentBag<Result>();
        var remaining = total;
        var loops = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var clock = Stopwatch.StartNew();
                using var response = await client.GetAsync("/");
                await response.Content.ReadAsByteArrayAsync();
                results.Add(new Result(
                    (int)response.StatusCode,
                    response.Headers.TryGetValues("x-upstream", out var upstream) ? upstream.Single() : null,
                    response.Headers.TryGetValues("X-FastGate-Circuit", out var circuit) ? circuit.Single() : null,
                    clock.Elapsed));
            }
        })).ToArray();
        await Task.WhenAll(loops);
        return [.. results];
    }

    /// <summary>
    /// GETs of / from a few loops until stopped: a non-200, a wrong body or a transport error is
    /// a failure; the answers are counted per <c>x-upstream</c>. Disposing stops the loops, so a
    /// test that fails half-way leaves none running into the next test.
    /// </summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, long> _served = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _loops = Task.CompletedTask;
        private long _ok;

        public IReadOnlyCollection<string> Failures => _failures;
        public long Total => Interlocked.Read(ref _ok) + _failures.Count;
        public long Served(string name) => _served.GetValueOrDefault(name);
        public string Summary() => string.Join(", ", _served.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));

        public static Load Start(HttpClient client, int workers)
        {
            var load = new Load();
            var stop = load._stop.Token;
            load._loops = Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => load.LoopAsync(client, stop))));
            return load;
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loops;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task LoopAsync(HttpClient client, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    using var response = await client.GetAsync("/", stop);
                    var body = await response.Content.ReadAsStringAsync(stop);
                    if ((int)response.StatusCode != 200 || body != "Hello World!")
                    {
                        _failures.Enqueue($"{(int)response.StatusCode} {body.TrimEnd()}");
                        continue;
                    }
                    Interlocked.Increment(ref _ok);
                    _served.AddOrUpdate(response.Headers.GetValues("x-upstream").Single(), 1, static (_, n) => n + 1);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    _failures.Enqueue($"{ex.GetType().Name} after {clock.ElapsedMilliseconds} ms: {ex.Message}");
                }
            }
        }
    }

    /// <summary>The test's mocks, named a, b, c; a killed one is restarted at the same address.</summary>
    private sealed class Upstreams : IAsyncDisposable
    {
        private readonly MockUpstreamProcess[] _mocks;

        private Upstreams(MockUpstreamProcess[] mocks)
        {
            _mocks = mocks;
        }

        public MockUpstreamProcess this[int index] => _mocks[index];

        public IEnumerable<T> Select<T>(Func<MockUpstreamProcess, T> selector) => _mocks.Select(selector);

        public IEnumerator<MockUpstreamProcess> GetEnumerator() => ((IEnumerable<MockUpstreamProcess>)_mocks).GetEnumerator();

        /// <summary>One mock per argument list, started side by side.</summary>
        public static async Task<Upstreams> StartAsync(params string[][] arguments)
        {
            var starts = arguments.Select((args, i) => MockUpstreamProcess.StartAsync(((char)('a' + i)).ToString(), 0, args)).ToArray();
            try
            {
                return new Upstreams(await Task.WhenAll(starts));
            }
            catch
            {
                foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
                {
                    await start.Result.DisposeAsync();
                }
                throw;
            }
        }

        public async Task<MockUpstreamProcess> RestartAsync(int index)
        {
            var old = _mocks[index];
            await old.DisposeAsync();
            _mocks[index] = await MockUpstreamProcess.StartAsync(old.Name, old.Port);
            return _mocks[index];
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var mock in _mocks)
            {
                await mock.DisposeAsync();
            }
        }
    }
}
