using FastGate.Core.Http2;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// The HTTP/2 front across the daemon's lifecycle: drain on SIGTERM and a listener removed by a
/// reload end connections with GOAWAY(NO_ERROR) and let streams in flight finish; an idle
/// connection is closed the same way; config mistakes are reported with their position.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class Http2LifecycleTests(UpstreamsFixture upstreams) : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-h2-life-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Config(bool second = true, string http2 = "") => $$"""
        [admin]
        listen = "{admin}"
        [log]
        access = "off"
        {{http2}}
        [[listener]]
        name = "web"
        listen = "{listen}"
        h2c = true
        {{(second ? "[[listener]]\nname = \"second\"\nlisten = \"{listen2}\"\nh2c = true\n" : "")}}
        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"
        [cluster.mock]
        endpoints = ["{{upstreams.A.Address}}"]
        """;

    [Fact]
    public async Task Sigterm_StreamInFlight_GoAwayNoErrorThenTheResponseCompletes()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        await using var client = await Http2WireClient.ConnectAsync(gateway.Port);
        await client.GetAsync(1, "/delay/1500", gateway.Port);
        await Task.Delay(500);

        gateway.Process.Signal("TERM");
        var (goAway, _) = await client.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway, Generous);
        var (end, seen) = await client.ReadUntilAsync(f => f.StreamId == 1 && f.Has(Http2Flags.EndStream), Generous);
        var closed = await client.ReadFrameAsync(Generous);

        Assert.NotNull(goAway);
        Assert.Equal((Http2ErrorCode.NoError, 1), (goAway.Value.GoAwayCode, goAway.Value.GoAwayLastStreamId));
        Assert.NotNull(end);
        Assert.Contains(seen, f => f.Type == Http2FrameType.Headers && f.StreamId == 1);
        Assert.Null(closed);
        Assert.Equal(0, await gateway.Process.WaitForExitAsync(Generous));
    }

    [Fact]
    public async Task Reload_ListenerRemoved_GoAwayNoErrorAndTheStreamFinishes()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        await using var client = await Http2WireClient.ConnectAsync(gateway.Port2);
        await client.GetAsync(1, "/delay/1500", gateway.Port2);
        await Task.Delay(300);

        gateway.WriteConfig(Config(second: false));
        gateway.Process.Signal("HUP");
        var (goAway, _) = await client.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway, Generous);
        var (end, _) = await client.ReadUntilAsync(f => f.StreamId == 1 && f.Has(Http2Flags.EndStream), Generous);

        Assert.NotNull(goAway);
        Assert.Equal((Http2ErrorCode.NoError, 1), (goAway.Value.GoAwayCode, goAway.Value.GoAwayLastStreamId));
        Assert.NotNull(end);
        Assert.Null(await client.ReadFrameAsync(Generous));
    }

    [Fact]
    public async Task IdleTimeout_NoStreams_GoAwayNoErrorAndClose()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config(http2: "[http2]\nidle_timeout = \"1s\""));
        await using var client = await Http2WireClient.ConnectAsync(gateway.Port);
        await client.GetAsync(1, "/", gateway.Port);
        var (end, _) = await client.ReadUntilAsync(f => f.StreamId == 1 && f.Has(Http2Flags.EndStream), Generous);

        var (goAway, _) = await client.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway, Generous);

        Assert.NotNull(end);
        Assert.NotNull(goAway);
        Assert.Equal((Http2ErrorCode.NoError, 1), (goAway.Value.GoAwayCode, goAway.Value.GoAwayLastStreamId));
        Assert.Null(await client.ReadFrameAsync(Generous));
    }

    [Fact]
    public async Task Check_H2cOnTlsListenerAndBadHttp2Values_PositionedErrors()
    {
        var path = Path.Combine(_directory, "h2.toml");
        await File.WriteAllLinesAsync(path,
        [
            "[http2]",                              // 1
            "max_frame_size = \"1KiB\"",            // 2: below 16 KiB
            "max_concurrent_streams = 0",           // 3
            "stall_timeout = \"soon\"",             // 4
            "[[listener]]",                         // 5
            "name = \"web\"",                       // 6
            "listen = \"127.0.0.1:8443\"",          // 7
            "h2c = true",                           // 8: TLS listener
            "[listener.tls]",                       // 9
            "cert = \"missing.pem\"",               // 10
            "key = \"missing.key\"",                // 11
            "[[route]]",
            "name = \"r\"",
            "path_prefix = \"/\"",
            "cluster = \"c\"",
            "[cluster.c]",
            "endpoints = [\"127.0.0.1:9001\"]",
        ]);

        using var process = ChildProcess.StartDll(TestPaths.FastGateDll, ["check", "-c", path]);
        var exit = await process.WaitForExitAsync(Generous);

        Assert.Equal(1, exit);
        var output = process.Stdout;
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(path)}:2:\d+: .*max_frame_size", output);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(path)}:3:\d+: .*max_concurrent_streams", output);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(path)}:4:\d+: .*stall_timeout", output);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(path)}:8:\d+: .*'h2c'.*ALPN", output);
    }
}
