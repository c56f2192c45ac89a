using System.Diagnostics;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests;

/// <summary>
/// Reloads never cut a stream: 1,000 SSE streams stay open through 10 reloads, among them one
/// that changes the streams' route and one that removes the route and its cluster; every stream
/// gets every event in order and then ends as its upstream ends it.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class StreamReloadTests(UpstreamsFixture upstreams, ITestOutputHelper output)
{
    private const int Streams = 1000;
    private const int Events = 25;

    private static string Config(string upstreamA, string upstreamB, int generation)
    {
        // The streams' route: as first written, then with a response header edit, then gone
        // with its cluster, then back under another name on another cluster.
        var sseRoute = generation switch
        {
            < 3 => """
                [[route]]
                name = "events"
                path_prefix = "/sse"
                cluster = "events"
                """,
            < 6 => """
                [[route]]
                name = "events"
                path_prefix = "/sse"
                cluster = "events"
                response_headers = { set = { "x-generation" = "changed" } }
                """,
            < 8 => "",
            _ => """
                [[route]]
                name = "events-again"
                path_prefix = "/sse"
                cluster = "events-b"
                """,
        };
        var sseCluster = generation switch
        {
            < 6 => $$"""
                [cluster.events]
                endpoints = ["{{upstreamA}}"]
                """,
            < 8 => "",
            _ => $$"""
                [cluster.events-b]
                endpoints = ["{{upstreamB}}"]
                """,
        };
        return $$"""
            [admin]
            listen = "{admin}"

            [log]
            access = "off"

            [[listener]]
            name = "web"
            listen = "{listen}"
            max_connections = 4000

            {{sseRoute}}

            [[route]]
            name = "default-{{generation}}"
            path_prefix = "/"
            cluster = "mock"

            [cluster.mock]
            endpoints = ["{{upstreamB}}"]

            {{sseCluster}}
            """;
    }

    [Fact]
    public async Task TenReloads_ThousandOpenStreams_NoneDroppedEveryEventInOrder()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config(upstreams.A.Address, upstreams.B.Address, 0));
        using var client = SseWire.Client(gateway.BaseUri, TimeSpan.FromSeconds(90));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(75));
        var clock = Stopwatch.StartNew();
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streams = new Task<SseResult>[Streams];
        for (var i = 0; i < Streams; i++)
        {
            var seen = 0;
            streams[i] = SseWire.ReadAsync(client, $"/sse?count={Events}&interval_ms=1000", cts.Token, _ =>
            {
                if (Interlocked.Increment(ref seen) == 1 && Interlocked.Increment(ref started) == Streams)
                {
                    allStarted.TrySetResult();
                }
            });
        }
        await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(30), cts.Token);
        output.WriteLine($"{Streams} streams open after {clock.Elapsed}");

        for (var generation = 1; generation <= 10; generation++)
        {
            gateway.WriteConfig(Config(upstreams.A.Address, upstreams.B.Address, generation));
            gateway.Process.Signal("HUP");
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (FastGateProcess.Metric(await gateway.MetricsAsync(), "fastgate_reloads_total{result=\"success\"}") < generation)
            {
                await Task.Delay(50, wait.Token);
            }
            await Task.Delay(300, cts.Token);
        }
        output.WriteLine($"10 reloads done after {clock.Elapsed}; daemon RSS {gateway.Process.ResidentBytes() / (1024 * 1024)} MiB with {Streams} streams open");
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(0, FastGateProcess.Metric(metrics, "fastgate_reloads_total{result=\"failure\"}"));

        var results = await Task.WhenAll(streams);
        output.WriteLine($"all streams ended after {clock.Elapsed}");
        var dropped = results.Where(r => !r.EndedCleanly || r.Events.Count != Events).ToList();
        Assert.True(dropped.Count == 0, $"{dropped.Count} stream(s) dropped, e.g. {dropped.Select(r => $"{r.Events.Count} events, {r.Error}").FirstOrDefault()}");
        foreach (var result in results)
        {
            Assert.Null(SseWire.CheckInOrder(result.Events));
        }
        Assert.True(await SseWire.WaitForMetricAsync(gateway, "fastgate_stream_ends_total{kind=\"sse\",reason=\"complete\"}", Streams) >= Streams);
        metrics = await gateway.MetricsAsync();
        Assert.Equal(0, FastGateProcess.Metric(metrics, "fastgate_stream_ends_total{kind=\"sse\",reason=\"upstream_gone\"}"));

        // After the last reload the path is served by the new route and its cluster.
        using var probe = await client.GetAsync("/sse?count=1&interval_ms=0", cts.Token);
        Assert.Equal(upstreams.B.Name, probe.Headers.GetValues("x-upstream").Single());
    }

    [Fact]
    public async Task Reload_RemovesListenerOfOpenStream_StreamRunsToItsEndThenConnectionCloses()
    {
        var both = UpstreamsFixture.SimpleConfig(upstreams.A.Address, extra: """

            [[listener]]
            name = "second"
            listen = "{listen2}"
            """);
        await using var gateway = await FastGateProcess.StartAsync(both);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var started = new TaskCompletionSource();
        var read = SseWire.RawGetAsync(gateway.Port2, "/sse?count=8&interval_ms=300", cts.Token, length =>
        {
            if (length > 150)
            {
                started.TrySetResult();
            }
        });
        await started.Task.WaitAsync(cts.Token);
        gateway.WriteConfig(UpstreamsFixture.SimpleConfig(upstreams.A.Address));
        gateway.Process.Signal("HUP");
        await gateway.Process.WaitForLineAsync(l => l.Contains("listener 'second'", StringComparison.Ordinal) && l.Contains("closed", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        var (bytes, closed) = await read;
        Assert.True(closed);
        var (_, body, lastChunk) = SseWire.DecodeChunked(bytes);
        Assert.True(lastChunk, "the stream was cut");
        Assert.Equal(string.Concat(Enumerable.Range(1, 8).Select(i => SseWire.Event(i))), System.Text.Encoding.ASCII.GetString(body));
    }
}
