using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>busy_poll: the loops poll without sleeping while traffic flows, and still serve every request and fire every timer.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class BusyPollTests(UpstreamsFixture upstreams) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-busy-poll-").FullName;

    private static bool Portable => string.Equals(Environment.GetEnvironmentVariable("FASTGATE_TRANSPORT"), "portable", StringComparison.Ordinal);

    [Fact]
    public async Task BusyPollOn_WhileRequestsFlow_IdleAndHeaderTimeoutsStillFire()
    {
        await using var gateway = await FastGateProcess.StartAsync("busy_poll = \"500us\"\nworkers = 1\n"
            + UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "idle_timeout = \"1s\"\nheader_timeout = \"1s\""));
        if (!Portable)
        {
            await gateway.Process.WaitForLineAsync(l => l.Contains("poll busy for 500us", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await using var quiet = await RawHttpConnection.ConnectAsync(gateway.Port, cts.Token);
        await quiet.SendAsync("GET / HTTP/1.1\r\nHost: quiet\r\n\r\n", cts.Token);
        Assert.Equal(200, (await quiet.ReadResponseAsync(cancellationToken: cts.Token)).Status);
        await using var slow = await RawHttpConnection.ConnectAsync(gateway.Port, cts.Token);
        await slow.SendAsync("GET / HTTP/1.1\r\nHost: slow\r\n", cts.Token);

        // One loop, kept busy by a client asking back to back: its turns never sleep while the
        // two deadlines come due, so only a timer run on a polling turn can close the others.
        var served = 0;
        var flowing = Task.Run(async () =>
        {
            using var client = Clients.Http11(gateway.BaseUri);
            while (!cts.IsCancellationRequested)
            {
                using var response = await client.GetAsync("/", cts.Token);
                Assert.Equal(200, (int)response.StatusCode);
                Interlocked.Increment(ref served);
            }
        });

        try
        {
            Assert.Equal(408, (await slow.ReadResponseAsync(cancellationToken: cts.Token)).Status);
            Assert.True(await quiet.IsClosedByPeerAsync(TimeSpan.FromSeconds(20)), "the idle connection was not closed while requests flowed");
            Assert.False(flowing.IsCompleted, flowing.Exception?.ToString() ?? "the busy client stopped");
            Assert.True(Volatile.Read(ref served) > 0, "no request was served while the deadlines came due");
        }
        finally
        {
            await cts.CancelAsync();
            await Task.WhenAny(flowing);
        }
    }

    [Fact]
    public async Task Check_BusyPollOverTheLimit_ExitsOneNamingTheKeyAndItsLimit()
    {
        var path = Path.Combine(_directory, "busy.toml");
        await File.WriteAllTextAsync(path, "busy_poll = \"5ms\"\n"
            + UpstreamsFixture.SimpleConfig(upstreams.A.Address).Replace("{admin}", "127.0.0.1:9901").Replace("{listen}", "127.0.0.1:8080"));

        using var process = ChildProcess.StartDll(TestPaths.FastGateDll, ["check", "-c", path]);
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exit);
        Assert.StartsWith($"{path}:1:", process.Stdout);
        Assert.Contains("'busy_poll' must be at most 1ms, got '5ms'", process.Stdout);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
