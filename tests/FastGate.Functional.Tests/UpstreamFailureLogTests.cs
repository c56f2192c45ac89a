using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>What an operator finds in the daemon's log when an upstream fails.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class UpstreamFailureLogTests
{
    [Fact]
    public async Task Get_DeadAndUnresolvableEndpoints_WarnLinesNameRouteEndpointAndCause()
    {
        var deadPort = FreePort.Next();
        await using var gateway = await FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            [[route]]
            name = "orders"
            path_prefix = "/orders/"
            cluster = "dead"
            [[route]]
            name = "ghost"
            path_prefix = "/ghost/"
            cluster = "ghost"
            [cluster.dead]
            endpoints = ["127.0.0.1:{{deadPort}}"]
            [cluster.ghost]
            endpoints = ["no-such-host.invalid:80"]
            """);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var dead = await client.GetAsync("/orders/1", cts.Token);
        using var ghost = await client.GetAsync("/ghost/1", cts.Token);

        Assert.Equal(502, (int)dead.StatusCode);
        // Where no resolver answers within connect_timeout, the name fails as a timeout (504).
        Assert.Contains((int)ghost.StatusCode, new[] { 502, 504 });
        var refused = await gateway.Process.WaitForLineAsync(
            l => l.Contains(" warn ", StringComparison.Ordinal) && l.Contains("route=orders", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
        Assert.Contains($"endpoint=127.0.0.1:{deadPort}", refused);
        Assert.Contains("cause=connect-refused", refused);
        var unresolvable = await gateway.Process.WaitForLineAsync(
            l => l.Contains(" warn ", StringComparison.Ordinal) && l.Contains("route=ghost", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
        Assert.Contains("endpoint=no-such-host.invalid:80", unresolvable);
        Assert.True(
            unresolvable.Contains("cause=unresolvable", StringComparison.Ordinal) || unresolvable.Contains("cause=connect-timeout", StringComparison.Ordinal),
            unresolvable);
    }
}
