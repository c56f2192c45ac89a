using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// Every error status a client can meet, sent the way it happens in the field. Bad framing goes
/// over a raw socket because HttpClient refuses to produce it.
/// </summary>
[Collection(SharedGatewayCollection.Name)]
public sealed class ErrorStatusTests(SharedGatewayFixture fixture)
{
    private int Port => fixture.Gateway.Port;

    private async Task<RawResponse> SendRawAsync(string request, int? port = null)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(port ?? Port);
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync();
    }

    /// <summary>Sends a request that may be rejected before it is all written: a reset during the write is fine, the response must still be there.</summary>
    private async Task<(RawResponse Response, bool Closed)> SendOversizedAsync(string request)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(Port);
        try
        {
            await connection.SendAsync(request);
        }
        catch (SocketException)
        {
        }
        var response = await connection.ReadResponseAsync();
        return (response, await connection.IsClosedByPeerAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task Request_ContentLengthAndTransferEncoding_Returns400AndCloses()
    {
        // RFC 9112 §6.3: both framings at once is the request-smuggling shape; reject, then close.
        await using var connection = await RawHttpConnection.ConnectAsync(Port);
        await connection.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.True(await connection.IsClosedByPeerAsync(TimeSpan.FromSeconds(3)), "connection left open after a smuggling attempt");
    }

    [Fact]
    public async Task Request_BareLineFeeds_Returns400()
    {
        var response = await SendRawAsync("GET /echo HTTP/1.1\nHost: x\n\n");

        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task Request_ObsoleteLineFolding_Returns400()
    {
        // RFC 9112 §5.2: a proxy must reject obs-fold in requests (or replace it), never pass it on.
        var response = await SendRawAsync("GET /echo HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n");

        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task Get_PathWithoutRoute_Returns404()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        using var routed = await client.GetAsync("/api/echo", cts.Token);
        using var unrouted = await client.GetAsync("/nothing/here", cts.Token);

        Assert.Equal(200, (int)routed.StatusCode);
        Assert.Equal(404, (int)unrouted.StatusCode);
        Assert.False(unrouted.Headers.Contains("x-upstream"), "a 404 for no route must come from the proxy, not the upstream");
    }

    [Fact]
    public async Task Connect_AnyTarget_Returns405()
    {
        var response = await SendRawAsync("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");

        Assert.Equal(405, response.Status);
    }

    [Fact]
    public async Task Request_HeadNotCompleteWithinHeaderTimeout_Returns408()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port2);
        var clock = Stopwatch.StartNew();
        await connection.SendAsync("GET /echo HTTP/1.1\r\nHost: slowloris\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(408, response.Status);
        // header_timeout = 1s on this listener, enforced by a 250 ms heartbeat.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Post_ContentLengthOverMaxBodyBytes_Returns413()
    {
        var (response, _) = await SendOversizedAsync("POST /small/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + new string('x', 2048));

        Assert.Equal(413, response.Status);
    }

    [Fact]
    public async Task Post_ChunkedBodyGrowingOverMaxBodyBytes_Returns413()
    {
        var chunk = new string('x', 512);
        var body = new StringBuilder();
        for (var i = 0; i < 4; i++)
        {
            body.Append("200\r\n").Append(chunk).Append("\r\n");
        }
        body.Append("0\r\n\r\n");

        var (response, _) = await SendOversizedAsync("POST /small/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body);

        Assert.Equal(413, response.Status);
    }

    [Fact]
    public async Task Get_RequestLineOver8KiB_Returns414()
    {
        var (response, _) = await SendOversizedAsync($"GET /echo?q={new string('q', 9000)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(414, response.Status);
    }

    [Fact]
    public async Task Get_MoreThanMaxHeaders_Returns431()
    {
        var headers = new StringBuilder();
        for (var i = 0; i < 150; i++)
        {
            headers.Append("X-H").Append(i).Append(": v\r\n");
        }

        var (response, _) = await SendOversizedAsync($"GET /echo HTTP/1.1\r\nHost: x\r\n{headers}\r\n");

        Assert.Equal(431, response.Status);
    }

    [Fact]
    public async Task Get_HeadOverMaxHeaderBytes_Returns431()
    {
        var (response, _) = await SendOversizedAsync($"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: {new string('b', 40 * 1024)}\r\n\r\n");

        Assert.Equal(431, response.Status);
    }

    [Fact]
    public async Task Get_UpstreamPortClosed_Returns502()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        using var response = await client.GetAsync("/dead/", cts.Token);

        Assert.Equal(502, (int)response.StatusCode);
    }

    [Fact]
    public async Task Get_ClusterWithNoEndpoints_Returns503()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        using var response = await client.GetAsync("/maintenance/page", cts.Token);

        Assert.Equal(503, (int)response.StatusCode);
        Assert.False(response.Headers.Contains("x-upstream"));
    }

    [Fact]
    public async Task Get_UpstreamSlowerThanRouteTimeout_Returns504()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();

        using var response = await client.GetAsync("/slow/delay/3000", cts.Token);

        Assert.Equal(504, (int)response.StatusCode);
        // Route timeout 1s, heartbeat 250 ms: well before the upstream's 3 s.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(2500));
    }
}
