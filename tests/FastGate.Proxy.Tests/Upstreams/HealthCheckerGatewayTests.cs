using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Tests.Upstreams;

/// <summary>The gateway runs the checks of the config it serves, and a reload does not restart them.</summary>
public sealed class HealthCheckerGatewayTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static readonly HealthCheckModel Hourly = new()
    {
        Interval = TimeSpan.FromHours(1),
        Timeout = TimeSpan.FromSeconds(5),
        Jitter = TimeSpan.Zero,
    };

    /// <summary>The config with <paramref name="endpoints"/> in cluster "a", which gets <see cref="Hourly"/> checks (the loader does not read them yet).</summary>
    private static ConfigModel Model(int listenPort, params int[] endpoints)
    {
        var text = $"""
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:{listenPort}"
            [[route]]
            name = "rest"
            path_prefix = "/"
            cluster = "a"
            [cluster.a]
            endpoints = [{string.Join(", ", endpoints.Select(port => $"\"127.0.0.1:{port}\""))}]
            """;
        var load = ConfigLoader.LoadFromText(text, Path.Combine(Path.GetTempPath(), "fastgate-health-test.toml"));
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        var cluster = load.Model.Clusters["a"] with { Health = Hourly };
        return load.Model with { Clusters = new Dictionary<string, ClusterModel> { ["a"] = cluster } };
    }

    private static string[] Lines(StringWriter log, string containing)
    {
        lock (log)
        {
            return log.ToString().Split('\n').Where(line => line.Contains(containing, StringComparison.Ordinal)).ToArray();
        }
    }

    private static async Task WaitForLineAsync(StringWriter log, string containing)
    {
        var started = Stopwatch.GetTimestamp();
        while (Lines(log, containing).Length == 0)
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < Patience, $"no log line with \"{containing}\" after {Patience}:\n{log}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Start_ClusterWithHealth_ChecksItsEndpoints()
    {
        var log = new StringWriter();
        var down = FreePort.Next();
        using var gateway = new Gateway(new GatewayLog(log));

        gateway.Start(Model(FreePort.Next(), down));

        await WaitForLineAsync(log, $"health check: cluster 'a' endpoint 127.0.0.1:{down} fails: connection refused");
        Assert.Empty(Lines(log, "not run by this version"));
    }

    [Fact]
    public async Task Reload_EndpointStays_IsNotCheckedAgainAtOnce()
    {
        var log = new StringWriter();
        var listenPort = FreePort.Next();
        var staying = FreePort.Next();
        var added = FreePort.Next();
        using var gateway = new Gateway(new GatewayLog(log));
        gateway.Start(Model(listenPort, staying));
        await WaitForLineAsync(log, $"endpoint 127.0.0.1:{staying} fails");

        for (var i = 0; i < 20; i++)
        {
            Assert.True(gateway.Reload(ConfigLoadResult.Success(Model(listenPort, staying))).Success);
        }
        Assert.True(gateway.Reload(ConfigLoadResult.Success(Model(listenPort, staying, added))).Success);
        await WaitForLineAsync(log, $"endpoint 127.0.0.1:{added} fails");

        // A restarted schedule would check at once and, having no last result, log the failure again.
        Assert.Single(Lines(log, $"endpoint 127.0.0.1:{staying} fails"));
    }
}
