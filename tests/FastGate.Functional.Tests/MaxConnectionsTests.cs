using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>At max_connections the listener stops accepting: excess clients wait in the backlog, and the pause is counted and logged.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class MaxConnectionsTests(UpstreamsFixture upstreams)
{
    private static string Config(string upstream) => UpstreamsFixture.SimpleConfig(upstream, listener: "max_connections = 2");

    private const string Request = "GET / HTTP/1.1\r\nHost: gate\r\n\r\n";

    [Fact]
    public async Task ThirdConnection_OverCapOfTwo_WaitsInBacklogAndIsServedWhenOneCloses()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config(upstreams.A.Address));
        var first = await RawHttpConnection.ConnectAsync(gateway.Port);
        await using var second = await RawHttpConnection.ConnectAsync(gateway.Port);
        try
        {
            foreach (var connection in new[] { first, second })
            {
                await connection.SendAsync(Request);
                Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            }

            // The kernel completes the handshake from the backlog; the daemon does not accept yet.
            await using var third = await RawHttpConnection.ConnectAsync(gateway.Port);
            await third.SendAsync(Request);
            var answer = third.ReadResponseAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.False(answer.IsCompleted, "the third connection was answered while two were open with max_connections = 2");

            await first.DisposeAsync();
            Assert.Equal(200, (await answer).Status);
        }
        finally
        {
            await first.DisposeAsync();
        }

        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_listener_connections_capped_total{listener=\"web\"}") >= 1, metrics);
        await gateway.Process.WaitForLineAsync(l => l.Contains("reached max_connections", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }
}
