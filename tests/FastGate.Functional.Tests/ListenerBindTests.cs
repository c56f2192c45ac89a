using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>Binding is exclusive unless the config asks to share, and a bind failure says which listener and where.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class ListenerBindTests(UpstreamsFixture upstreams)
{
    private static string Config(int webPort, int adminPort, string upstream, string extraListener = "") => $$"""
        [admin]
        listen = "127.0.0.1:{{adminPort}}"

        [log]
        access = "off"

        [[listener]]
        name = "web"
        listen = "127.0.0.1:{{webPort}}"
        {{extraListener}}

        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["{{upstream}}"]
        """;

    [Fact]
    public async Task Run_SecondDaemonWithSameConfig_ExitsNonZeroNamingListenerAndAddress()
    {
        var webPort = FreePort.Next();
        var config = Config(webPort, FreePort.Next(), upstreams.A.Address);
        await using var first = await DaemonRun.StartAsync(config);

        await using var second = DaemonRun.Launch(config);
        var exitCode = await second.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var output = second.Process.Stdout + second.Process.Stderr;
        Assert.True(exitCode is not null and not 0, $"second daemon exit code {exitCode?.ToString() ?? "none (still running)"}:\n{output}");
        Assert.Contains("listener 'web'", output, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{webPort}", output, StringComparison.Ordinal);
        Assert.False(first.Process.HasExited);
    }

    [Fact]
    public async Task Run_TwoDaemonsWithReusePort_BothServeTheSharedPort()
    {
        var webPort = FreePort.Next();
        await using var first = await DaemonRun.StartAsync(Config(webPort, FreePort.Next(), upstreams.A.Address, "reuse_port = true"));
        await using var second = await DaemonRun.StartAsync(Config(webPort, FreePort.Next(), upstreams.B.Address, "reuse_port = true"));

        // The kernel spreads connections over both sockets; fresh connections reach each in turn.
        var seen = new HashSet<string>();
        for (var i = 0; i < 200 && seen.Count < 2; i++)
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await client.GetAsync($"http://127.0.0.1:{webPort}/");
            seen.Add(response.Headers.GetValues("x-upstream").Single());
        }

        Assert.Equal(["a", "b"], seen.Order());
    }

    [Fact]
    public async Task Reload_NewListenerOnBusyPort_IsRejectedNamingListenerAndAddress()
    {
        var webPort = FreePort.Next();
        var adminPort = FreePort.Next();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen();
        var busy = (IPEndPoint)squatter.LocalEndPoint!;
        await using var daemon = await DaemonRun.StartAsync(Config(webPort, adminPort, upstreams.A.Address));

        daemon.WriteConfig(Config(webPort, adminPort, upstreams.A.Address, $"""

            [[listener]]
            name = "extra"
            listen = "{busy}"
            """));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(30) };
        using var response = await admin.PostAsync("/reload", null);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(422, (int)response.StatusCode);
        var errors = string.Join("\n", JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("listener 'extra'", errors, StringComparison.Ordinal);
        Assert.Contains(busy.ToString(), errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PidFile_IsWrittenWhileServingAndRemovedOnExit()
    {
        var pidDirectory = Directory.CreateTempSubdirectory("fastgate-pid-").FullName;
        try
        {
            var pidFile = Path.Combine(pidDirectory, "fastgate.pid");
            await using var daemon = await DaemonRun.StartAsync(Config(FreePort.Next(), FreePort.Next(), upstreams.A.Address), "--pid-file", pidFile);

            Assert.Equal(daemon.Process.Id.ToString(), File.ReadAllText(pidFile).Trim());

            daemon.Process.Signal("TERM");
            Assert.Equal(0, await daemon.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(File.Exists(pidFile), "pid file left behind after exit");
        }
        finally
        {
            Directory.Delete(pidDirectory, recursive: true);
        }
    }
}
