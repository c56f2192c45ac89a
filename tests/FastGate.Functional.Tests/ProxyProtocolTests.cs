using System.Net;
using System.Text;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// One mock upstream and one gateway: listener <c>lb</c> requires a PROXY protocol header from
/// loopback (as behind a local load balancer), listener <c>elsewhere</c> requires one from a
/// network the tests never connect from.
/// </summary>
public sealed class ProxyProtocolGatewayFixture : IAsyncLifetime
{
    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;

    public FastGateProcess Gateway => _gateway!;

    public string AccessLog => Path.Combine(Gateway.Directory, "access.log");

    private const string Config = """
        [admin]
        listen = "{admin}"

        [log]
        access = "access.log"

        [[listener]]
        name = "lb"
        listen = "{listen}"
        header_timeout = "2s"
        proxy_protocol = true
        proxy_protocol_from = ["127.0.0.0/8"]

        [[listener]]
        name = "elsewhere"
        listen = "{listen2}"
        proxy_protocol = true
        proxy_protocol_from = ["192.0.2.0/24"]

        [[route]]
        name = "limited"
        path_prefix = "/limited/"
        strip_prefix = "/limited"
        cluster = "mock"
        rate_limit = { requests = 1, per = "1h", key = "client" }

        [[route]]
        name = "echo"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["{upstream}"]
        """;

    public async Task InitializeAsync()
    {
        _upstream = await MockUpstreamProcess.StartAsync("pp");
        _gateway = await FastGateProcess.StartAsync(Config.Replace("{upstream}", _upstream.Address, StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }
}

public sealed class ProxyProtocolTests(ProxyProtocolGatewayFixture fixture) : IClassFixture<ProxyProtocolGatewayFixture>
{
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(30);

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Request(string tag) => Ascii($"GET /echo?tag={tag} HTTP/1.1\r\nHost: pp.example\r\n\r\n");

    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>A v2 PROXY header for TCP over the family of <paramref name="source"/>, with one TLV after the addresses.</summary>
    private static byte[] V2(string source, ushort sourcePort, string destination, ushort destinationPort)
    {
        var from = IPAddress.Parse(source).GetAddressBytes();
        var to = IPAddress.Parse(destination).GetAddressBytes();
        byte[] tlv = [0x04, 0x00, 0x02, 0x00, 0x00]; // PP2_TYPE_NOOP, two bytes
        byte[] block = [.. from, .. to, (byte)(sourcePort >> 8), (byte)sourcePort, (byte)(destinationPort >> 8), (byte)destinationPort, .. tlv];
        return [.. V2Signature, 0x21, from.Length == 4 ? (byte)0x11 : (byte)0x21, (byte)(block.Length >> 8), (byte)block.Length, .. block];
    }

    private static string ForwardedFor(RawResponse response) =>
        JsonDocument.Parse(response.Body).RootElement.GetProperty("headers").GetProperty("x-forwarded-for").GetString()!;

    private async Task<RawResponse> SendAsync(params byte[][] pieces)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        foreach (var piece in pieces)
        {
            await connection.SendAsync(piece);
        }
        return await connection.ReadResponseAsync();
    }

    /// <summary>A plain request with a valid header still works: the bad connection before it took nothing else down.</summary>
    private async Task AssertStillServingAsync()
    {
        var response = await SendAsync([.. Ascii("PROXY TCP4 198.51.100.1 10.0.0.1 4000 80\r\n"), .. Request("after")]);
        Assert.Equal(200, response.Status);
        Assert.Equal("198.51.100.1", ForwardedFor(response));
    }

    [Fact]
    public async Task V1Header_UpstreamSeesItsSourceAsTheClient_AndSoDoesTheAccessLog()
    {
        var response = await SendAsync([.. Ascii("PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\r\n"), .. Request("v1")]);

        Assert.Equal(200, response.Status);
        Assert.Equal("203.0.113.7", ForwardedFor(response));
        var entry = await AccessLogFile.WaitForEntryAsync(fixture.AccessLog, "tag=v1");
        Assert.Equal("203.0.113.7", entry.GetProperty("client").GetString());
    }

    [Fact]
    public async Task V1HeaderInPieces_ThenTwoRequestsOnTheConnection_BothCarryTheHeadersSource()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        var header = Ascii("PROXY TCP4 203.0.113.8 10.0.0.1 51000 80\r\n");
        await connection.SendAsync(header.AsMemory(0, 9));
        await Task.Delay(50);
        await connection.SendAsync(header.AsMemory(9));
        await Task.Delay(50);
        await connection.SendAsync(Request("first"));
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync(Request("second"));
        var second = await connection.ReadResponseAsync();

        Assert.Equal(200, first.Status);
        Assert.Equal("203.0.113.8", ForwardedFor(first));
        Assert.Equal(200, second.Status);
        Assert.Equal("203.0.113.8", ForwardedFor(second));
    }

    [Fact]
    public async Task V2Ipv4Header_UpstreamSeesItsSource()
    {
        var response = await SendAsync([.. V2("203.0.113.9", 40000, "10.0.0.1", 443), .. Request("v2-4")]);

        Assert.Equal(200, response.Status);
        Assert.Equal("203.0.113.9", ForwardedFor(response));
    }

    [Fact]
    public async Task V2Ipv6Header_UpstreamSeesItsSource_AndSoDoesTheAccessLog()
    {
        var response = await SendAsync(V2("2001:db8::7", 40000, "2001:db8::1", 443), Request("v2-6"));

        Assert.Equal(200, response.Status);
        Assert.Equal("2001:db8::7", ForwardedFor(response));
        var entry = await AccessLogFile.WaitForEntryAsync(fixture.AccessLog, "tag=v2-6");
        Assert.Equal("2001:db8::7", entry.GetProperty("client").GetString());
    }

    [Fact]
    public async Task V2LocalCommand_KeepsThePeerAddress()
    {
        byte[] local = [.. V2Signature, 0x20, 0x00, 0x00, 0x00];

        var response = await SendAsync([.. local, .. Request("local")]);

        Assert.Equal(200, response.Status);
        Assert.Equal("127.0.0.1", ForwardedFor(response));
    }

    [Fact]
    public async Task RateLimitByClient_CountsTheHeadersSource()
    {
        static byte[] From(string source) => [.. Ascii($"PROXY TCP4 {source} 10.0.0.1 5000 80\r\n"), .. Ascii("GET /limited/echo HTTP/1.1\r\nHost: pp.example\r\n\r\n")];

        Assert.Equal(200, (await SendAsync(From("192.0.2.10"))).Status);
        Assert.Equal(429, (await SendAsync(From("192.0.2.10"))).Status);
        Assert.Equal(200, (await SendAsync(From("192.0.2.11"))).Status);
    }

    [Fact]
    public async Task PlainHttpWithoutHeader_IsClosedUnanswered()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync(Request("plain"));

        Assert.True(await connection.IsClosedByPeerAsync(CloseWait));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task SilentConnection_IsClosedAfterTheHeaderTimeout()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);

        Assert.True(await connection.IsClosedByPeerAsync(CloseWait));
        var metrics = await fixture.Gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_proxy_protocol_rejected_total{listener=\"lb\",reason=\"timeout\"}") >= 1);
    }

    [Theory]
    [InlineData("garbage", "\u0001\u0002\u0003 not a header at all\r\n")]
    [InlineData("bad address", "PROXY TCP4 203.0.113.256 10.0.0.1 51000 80\r\n")]
    [InlineData("leading zero port", "PROXY TCP4 203.0.113.7 10.0.0.1 051000 80\r\n")]
    [InlineData("missing CRLF", "PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\n")]
    [InlineData("v1 too long", "PROXY UNKNOWN aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task MalformedHeader_ClosesThatConnectionOnly(string name, string header)
    {
        _ = name;
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync(Encoding.Latin1.GetBytes(header));

        Assert.True(await connection.IsClosedByPeerAsync(CloseWait));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task MalformedV2_ClosesThatConnectionOnly()
    {
        byte[] oversized = [.. V2Signature, 0x21, 0x11, 0xFF, 0xFF];
        byte[] badVersion = [.. V2Signature, 0x11, 0x11, 0x00, 0x0C];
        foreach (var header in new[] { oversized, badVersion })
        {
            await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
            await connection.SendAsync(header);
            Assert.True(await connection.IsClosedByPeerAsync(CloseWait));
        }
        await AssertStillServingAsync();
        var metrics = await fixture.Gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_proxy_protocol_rejected_total{listener=\"lb\",reason=\"too_long\"}") >= 1);
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_proxy_protocol_rejected_total{listener=\"lb\",reason=\"version\"}") >= 1);
    }

    [Fact]
    public async Task TruncatedHeaderThenClose_LeavesTheGatewayServing()
    {
        await using (var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port))
        {
            await connection.SendAsync(Ascii("PROXY TCP4 203.0"));
            connection.ShutdownSend();
            Assert.True(await connection.IsClosedByPeerAsync(CloseWait));
        }
        await using (var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port))
        {
            await connection.SendAsync(V2("203.0.113.9", 1, "10.0.0.1", 2)[..20]);
        }
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task UntrustedSource_IsClosedEvenWithAValidHeader()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port2);
        byte[] request = [.. Ascii("PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\r\n"), .. Request("untrusted")];
        await connection.SendAsync(request);

        Assert.True(await connection.IsClosedByPeerAsync(CloseWait));
        var metrics = await fixture.Gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_proxy_protocol_untrusted_total{listener=\"elsewhere\"}") >= 1);
    }

    [Fact]
    public async Task AcceptedHeaders_AreCountedByVersion()
    {
        Assert.Equal(200, (await SendAsync([.. Ascii("PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\r\n"), .. Request("count-v1")])).Status);
        Assert.Equal(200, (await SendAsync([.. V2("203.0.113.7", 1, "10.0.0.1", 2), .. Request("count-v2")])).Status);

        var metrics = await fixture.Gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_proxy_protocol_accepted_total{listener=\"lb\",version=\"v1\"}") >= 1);
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_proxy_protocol_accepted_total{listener=\"lb\",version=\"v2\"}") >= 1);
    }
}
