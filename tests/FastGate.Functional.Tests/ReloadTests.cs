using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests;

[Collection(OwnGatewayCollection.Name)]
public sealed class ReloadTests(UpstreamsFixture upstreams, ITestOutputHelper output)
{
    private static async Task<double> ReloadsAsync(FastGateProcess gateway, string result)
        => FastGateProcess.Metric(await gateway.MetricsAsync(), $"fastgate_reloads_total{{result=\"{result}\"}}");

    private static async Task WaitForReloadsAsync(FastGateProcess gateway, string result, double count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await ReloadsAsync(gateway, result) < count)
        {
            await Task.Delay(50, cts.Token);
        }
    }

    [Fact]
    public async Task Sighup_UnderContinuousLoad_SwitchesUpstreamWithoutFailedRequests()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var failures = new List<string>();
        long ok = 0;
        var latestUpstream = "";
        var loops = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync("/", stop.Token);
                    var body = await response.Content.ReadAsStringAsync(stop.Token);
                    if ((int)response.StatusCode != 200 || body != "Hello World!")
                    {
                        lock (failures) { failures.Add($"{(int)response.StatusCode} {body}"); }
                    }
                    else
                    {
                        Interlocked.Increment(ref ok);
                        Volatile.Write(ref latestUpstream, response.Headers.GetValues("x-upstream").Single());
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (HttpRequestException ex)
                {
                    lock (failures) { failures.Add(ex.Message); }
                }
            }
        })).ToArray();

        var clock = Stopwatch.StartNew();
        var targets = new[] { upstreams.B, upstreams.A, upstreams.B, upstreams.A, upstreams.B };
        for (var i = 0; i < targets.Length; i++)
        {
            await Task.Delay(700);
            gateway.WriteConfig(UpstreamsFixture.SimpleConfig(targets[i].Address, extra: $"""

                [[route]]
                name = "extra{i}"
                path_prefix = "/extra{i}/"
                cluster = "mock"
                """));
            gateway.Process.Signal("HUP");
            await WaitForReloadsAsync(gateway, "success", i + 1);
            // New exchanges use the new snapshot: within a short while every answer comes from it.
            using var switched = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            while (true)
            {
                using var probe = await client.GetAsync("/", switched.Token);
                if (probe.Headers.GetValues("x-upstream").Single() == targets[i].Name)
                {
                    break;
                }
                await Task.Delay(20, switched.Token);
            }
        }
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        output.WriteLine($"{Interlocked.Read(ref ok)} requests in {clock.Elapsed.TotalSeconds:0.0} s over {targets.Length} reloads, {failures.Count} failed");
        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref ok) > 100, $"only {ok} requests completed");
        Assert.Equal(upstreams.B.Name, Volatile.Read(ref latestUpstream));
        Assert.Equal(targets.Length, await ReloadsAsync(gateway, "success"));
        Assert.Equal(0, await ReloadsAsync(gateway, "failure"));
    }

    /// <summary>nohup leaves SIGHUP ignored for the daemon it starts; reload is what SIGHUP means here all the same.</summary>
    [Fact]
    public async Task Sighup_DaemonStartedUnderNohup_StillReloads()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address), launcher: "nohup");
        using var client = Clients.Http11(gateway.BaseUri);

        gateway.WriteConfig(UpstreamsFixture.SimpleConfig(upstreams.B.Address));
        gateway.Process.Signal("HUP");
        await WaitForReloadsAsync(gateway, "success", 1);

        using var response = await client.GetAsync("/");
        Assert.Equal(upstreams.B.Name, response.Headers.GetValues("x-upstream").Single());
    }

    [Fact]
    public async Task Reload_InvalidFile_Returns422AndOldConfigKeepsServing()
    {
        var valid = UpstreamsFixture.SimpleConfig(upstreams.A.Address);
        await using var gateway = await FastGateProcess.StartAsync(valid);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Same file pointed at upstream b, plus a typo'd key: nothing of it may take effect.
        var broken = UpstreamsFixture.SimpleConfig(upstreams.B.Address) + "\nbogus_key = 1\n";
        gateway.WriteConfig(broken);
        var brokenLine = File.ReadAllLines(gateway.ConfigPath).ToList().FindIndex(l => l.StartsWith("bogus_key", StringComparison.Ordinal)) + 1;
        var expectedPosition = $"{gateway.ConfigPath}:{brokenLine}:1:";

        using var reload = await gateway.Admin.PostAsync("/reload", null, cts.Token);
        var reloadBody = await reload.Content.ReadAsStringAsync(cts.Token);
        Assert.Equal(422, (int)reload.StatusCode);
        Assert.Contains(expectedPosition, reloadBody);
        Assert.Contains("bogus_key", reloadBody);

        gateway.Process.Signal("HUP");
        await WaitForReloadsAsync(gateway, "failure", 2);

        using var response = await client.GetAsync("/", cts.Token);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(upstreams.A.Name, response.Headers.GetValues("x-upstream").Single());

        var config = JsonDocument.Parse(await gateway.Admin.GetStringAsync("/config", cts.Token)).RootElement;
        Assert.Equal(1, config.GetProperty("generation").GetInt64());
        Assert.DoesNotContain("bogus_key", config.GetProperty("config").GetString());
        var last = config.GetProperty("last_reload");
        Assert.Equal("failure", last.GetProperty("result").GetString());
        Assert.Contains(last.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith(expectedPosition, StringComparison.Ordinal));
        Assert.Equal(0, await ReloadsAsync(gateway, "success"));
        await gateway.Process.WaitForLineAsync(l => l.Contains(expectedPosition, StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Assert.Matches(new Regex(Regex.Escape(expectedPosition) + ".*bogus_key"), gateway.Process.Stderr);
    }
}
