using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

[Collection(OwnGatewayCollection.Name)]
public sealed class LifecycleTests(UpstreamsFixture upstreams)
{
    [Fact]
    public async Task Sigterm_DuringSlowRequest_FinishesItRefusesNewConnectionsAndExitsZero()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "drain_timeout = \"5s\""));
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        var slow = client.GetAsync("/delay/2000", cts.Token);
        await Task.Delay(300, cts.Token);
        var clock = Stopwatch.StartNew();
        gateway.Process.Signal("TERM");
        await gateway.Process.WaitForLineAsync(l => l.Contains("draining", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // "draining" is logged just before the listeners close, so a connect in that instant may
        // still land in the backlog and be reset; within a moment every connect must be refused.
        var refusedAfter = await FirstRefusedConnectAsync(gateway.Port, TimeSpan.FromSeconds(1));
        Assert.True(refusedAfter is not null, "new connections still accepted 1 s after SIGTERM");

        using var response = await slow;
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("delayed 2000", await response.Content.ReadAsStringAsync(cts.Token));

        var exitCode = await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(7));
        Assert.Equal(0, exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"exit took {clock.Elapsed} with drain_timeout 5s");
    }

    private static async Task<TimeSpan?> FirstRefusedConnectAsync(int port, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return clock.Elapsed;
            }
            catch (SocketException)
            {
            }
            await Task.Delay(50);
        }
        return null;
    }

    [Fact]
    public async Task SdNotify_StartReloadStop_SendsReadyWatchdogReloadingStopping()
    {
        var directory = Directory.CreateTempSubdirectory("fastgate-notify-").FullName;
        var socketPath = Path.Combine(directory, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = new List<(TimeSpan At, string Text)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var receiver = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var n = await notify.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    lock (messages) { messages.Add((clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, n))); }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        async Task<string> WaitForAsync(Func<string, bool> match, int after = 0)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                lock (messages)
                {
                    var found = messages.Skip(after).FirstOrDefault(m => match(m.Text)).Text;
                    if (found is not null)
                    {
                        return found;
                    }
                }
                await Task.Delay(20, cts.Token);
            }
        }
        int Count() { lock (messages) { return messages.Count; } }

        try
        {
            await using var gateway = await FastGateProcess.StartAsync(
                UpstreamsFixture.SimpleConfig(upstreams.A.Address),
                new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "1000000" });

            var ready = await WaitForAsync(m => m.Split('\n').Contains("READY=1"));
            Assert.Contains("STATUS=", ready);
            await WaitForAsync(m => m == "WATCHDOG=1");

            var beforeReload = Count();
            gateway.Process.Signal("HUP");
            var reloading = await WaitForAsync(m => m.Split('\n').Contains("RELOADING=1"), beforeReload);
            var monotonic = reloading.Split('\n').Single(l => l.StartsWith("MONOTONIC_USEC=", StringComparison.Ordinal));
            Assert.True(ulong.TryParse(monotonic["MONOTONIC_USEC=".Length..], out var usec) && usec > 0, reloading);
            var afterReloading = Count();
            await WaitForAsync(m => m.Split('\n').Contains("READY=1"), afterReloading - 1);

            gateway.Process.Signal("TERM");
            var stopping = await WaitForAsync(m => m.Split('\n').Contains("STOPPING=1"));
            Assert.Contains("STATUS=draining", stopping);
            Assert.Equal(0, await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            await stop.CancelAsync();
            await receiver;
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AccessLog_FileMovedThenSigusr1_NewLinesGoToNewFile()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, log: "access = \"access.log\""));
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logPath = Path.Combine(gateway.Directory, "access.log");
        var rotatedPath = logPath + ".1";

        (await client.GetAsync("/echo?first=1", cts.Token)).Dispose();
        var entry = await AccessLogFile.WaitForEntryAsync(logPath, "first=1");
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.Equal("GET", entry.GetProperty("method").GetString());
        Assert.StartsWith("/echo", entry.GetProperty("path").GetString());
        Assert.Equal("default", entry.GetProperty("route").GetString());

        File.Move(logPath, rotatedPath);
        gateway.Process.Signal("USR1");
        await gateway.Process.WaitForLineAsync(l => l.Contains("access log reopened", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        (await client.GetAsync("/echo?second=1", cts.Token)).Dispose();

        var second = await AccessLogFile.WaitForEntryAsync(logPath, "second=1");
        Assert.Equal(200, second.GetProperty("status").GetInt32());
        Assert.DoesNotContain("second=1", await File.ReadAllTextAsync(rotatedPath, cts.Token));
    }
}
