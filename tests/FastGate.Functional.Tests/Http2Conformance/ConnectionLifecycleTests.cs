using FastGate.Functional.Tests.Infrastructure;
using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// How an HTTP/2 connection ends when the daemon ends it (brief, defense contract): GOAWAY
/// NO_ERROR with the last stream id, streams in flight finish, then the close. On an idle
/// connection, on SIGTERM (drain) and when the listener leaves the config on reload. Each case
/// starts a daemon of its own, since it stops or reconfigures it.
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class ConnectionLifecycleTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private static string TwoListeners(string upstream, string listeners, string extra = "") => $$"""
        [admin]
        listen = "{admin}"

        [log]
        access = "off"

        [defaults]
        drain_timeout = "10s"

        {{extra}}

        {{listeners}}

        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["{{upstream}}"]
        """;

    private const string H2Listener = """
        [[listener]]
        name = "h2"
        listen = "{listen}"
        h2c = true
        """;

    private const string OtherListener = """
        [[listener]]
        name = "other"
        listen = "{listen2}"
        h2c = true
        """;

    private static async Task<double> MetricAsync(FastGateProcess gateway, string name)
    {
        var prefix = $"{name}{{listener=\"{Http2GatewayFixture.Listener}\"}} ";
        foreach (var line in (await gateway.MetricsAsync()).Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    [Fact]
    public async Task Metrics_CountStreamsAndOpenConnections()
    {
        await using var gateway = await FastGateProcess.StartAsync(Http2GatewayFixture.Config(Fixture.Upstream.Address));
        var client = await ConnectAsync(gateway);
        await client.HandshakeAsync();
        for (uint id = 1; id <= 5; id += 2)
        {
            await client.SendAsync(Headers(id, client.Request().ToArray(), endStream: true));
            Assert.Equal(200, (await client.ResponseAsync(id)).Status);
        }
        Assert.Equal(3, await MetricAsync(gateway, "fastgate_http2_streams_total"));
        Assert.Equal(1, await MetricAsync(gateway, "fastgate_http2_connections_open"));
        await client.SendAsync(GoAway(5, (uint)H2Error.NO_ERROR));
        await client.ConnectionCloseAsync(Long);
        var open = 1.0;
        for (var i = 0; i < 50 && open != 0; i++)
        {
            await Task.Delay(100);
            open = await MetricAsync(gateway, "fastgate_http2_connections_open");
        }
        Assert.Equal(0, open);
    }

    [Fact]
    public async Task IdleConnection_GoAwayNoErrorThenClose()
    {
        await using var gateway = await FastGateProcess.StartAsync(TwoListeners(Fixture.Upstream.Address, H2Listener, """
            [http2]
            idle_timeout = "1s"
            """));
        var client = await ConnectAsync(gateway);
        await client.HandshakeAsync();
        await client.SendAsync(Headers(1, client.Request().ToArray(), endStream: true));
        Assert.Equal(200, (await client.ResponseAsync(1)).Status);
        var goaway = await client.GoAwayAsync(H2Error.NO_ERROR, Long);
        Assert.Equal(1u, goaway.LastStreamId);
        await client.ConnectionCloseAsync(Long);
    }

    [Fact]
    public async Task Sigterm_GoAwayNoErrorInFlightStreamFinishesThenClose()
    {
        await using var gateway = await FastGateProcess.StartAsync(TwoListeners(Fixture.Upstream.Address, H2Listener));
        var client = await ConnectAsync(gateway);
        await client.HandshakeAsync();
        await client.SendAsync(Headers(1, client.Request("GET", "/delay/1500").ToArray(), endStream: true));
        await Task.Delay(300);
        gateway.Process.Signal("TERM");
        await GoAwayThenInFlightResponseThenCloseAsync(client, "delayed 1500");
        Assert.Equal(0, await gateway.Process.WaitForExitAsync(Long));
    }

    [Fact]
    public async Task ListenerLeavesConfigOnReload_GoAwayNoErrorInFlightStreamFinishes()
    {
        await using var gateway = await FastGateProcess.StartAsync(TwoListeners(Fixture.Upstream.Address, H2Listener + "\n\n" + OtherListener));
        var client = await ConnectAsync(gateway);
        await client.HandshakeAsync();
        await client.SendAsync(Headers(1, client.Request("GET", "/delay/1500").ToArray(), endStream: true));
        await Task.Delay(300);
        gateway.WriteConfig(TwoListeners(Fixture.Upstream.Address, OtherListener));
        gateway.Process.Signal("HUP");
        await GoAwayThenInFlightResponseThenCloseAsync(client, "delayed 1500");
    }

    [Fact]
    public async Task ConnectionErrorWithAStreamInFlight_ClientBytesAfterTheGoAwayAreReadNotReset()
    {
        await using var gateway = await FastGateProcess.StartAsync(TwoListeners(Fixture.Upstream.Address, H2Listener));
        var client = await ConnectAsync(gateway);
        await client.HandshakeAsync();
        // A stream still waiting for its upstream when the connection ends: ending it wakes the connection's reader.
        await client.SendAsync(Headers(1, client.Request("GET", "/delay/3000").ToArray(), endStream: true));
        // DATA on stream 0 is a connection error PROTOCOL_ERROR (RFC 9113 §6.1).
        await client.SendAsync(Data(0, "x", endStream: false));
        // A client with requests in flight goes on sending for a moment: the daemon reads and drops
        // those bytes (for up to a second) before it closes; closing on them would reset the
        // connection, and a reset can destroy the GOAWAY before the client has read it.
        for (var i = 0; i < 8 && !client.SendFailed; i++)
        {
            await Task.Delay(15);
            await client.SendAsync(Ping(BitConverter.GetBytes((long)i)));
        }
        Assert.False(client.SendFailed, "the daemon closed the connection on the client's unread bytes (a reset)");
        await client.GoAwayAsync(H2Error.PROTOCOL_ERROR, Long);
        await client.ConnectionCloseAsync(Long);
    }

    /// <summary>GOAWAY NO_ERROR naming stream 1, the whole response on stream 1 (before or after the GOAWAY), then the close.</summary>
    private static async Task GoAwayThenInFlightResponseThenCloseAsync(H2Client client, string expectedBody)
    {
        H2Frame? goaway = null;
        var body = new MemoryStream();
        var status = "";
        await client.UntilAsync("GOAWAY NO_ERROR (last stream 1), the in-flight response on stream 1 to its end, then the close", frame =>
        {
            switch (frame)
            {
                case null:
                    return goaway is not null && status == "200" && body.Length == expectedBody.Length;
                case { Type: H2Type.GOAWAY } away:
                    goaway = away;
                    return away.ErrorCode == H2Error.NO_ERROR && away.LastStreamId == 1 ? null : false;
                case { Type: H2Type.RST_STREAM }:
                    return false;
                case { Type: H2Type.HEADERS } head when head.StreamId == 1:
                    status = head.Field(":status") ?? "";
                    return null;
                case { Type: H2Type.DATA } data when data.StreamId == 1:
                    body.Write(data.Data);
                    return null;
                default:
                    return null;
            }
        }, Long);
        Assert.Equal(expectedBody, System.Text.Encoding.ASCII.GetString(body.ToArray()));
    }
}
