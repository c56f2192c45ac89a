using System.Net;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests;

/// <summary>Reloads do not make the daemon grow: what one reload leaves behind is released before the next.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class ReloadMemoryTests(UpstreamsFixture upstreams, ITestOutputHelper output)
{
    private static string Config(string upstream)
    {
        var routes = string.Concat(Enumerable.Range(0, 50).Select(i => $"""

            [[route]]
            name = "r{i}"
            path_prefix = "/r{i}/"
            strip_prefix = "/r{i}"
            cluster = "mock"

            """));
        return UpstreamsFixture.SimpleConfig(upstream, log: "level = \"warn\"\naccess = \"off\"") + routes;
    }

    private static async Task ReloadAsync(FastGateProcess gateway, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await gateway.Admin.PostAsync("/reload", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Reload_1000TimesAfterWarmUp_ResidentMemoryStaysFlat()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config(upstreams.A.Address));
        using var client = Clients.Http11(gateway.BaseUri);

        // Warm-up: the reload path and the proxy path jitted once. Short on purpose: left alone, the
        // GC lets each reload's garbage fill gen0 up to its largest budget, which is the growth
        // this test is about.
        await ReloadAsync(gateway, 5);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/r1/")).StatusCode);
        var before = gateway.Process.ResidentBytes();

        await ReloadAsync(gateway, 1000);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/r1/")).StatusCode);
        var after = gateway.Process.ResidentBytes();

        var growth = (after - before) / (1024.0 * 1024.0);
        output.WriteLine($"RSS {before / 1048576.0:0.0} MB after 5 reloads, {after / 1048576.0:0.0} MB after 1005 (+{growth:0.0} MB)");
        Assert.True(growth < 16, $"RSS grew {growth:0.0} MB over 1000 reloads ({before} -> {after} bytes)");
    }
}
