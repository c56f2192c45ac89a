using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.UpstreamHttp2;

/// <summary>
/// An HTTP/1.1 client through FastGate to a cluster with protocol = "h2c" (Kestrel speaking only
/// HTTP/2): requests arrive as HTTP/2, bodies of any size pass both ways, many requests share few
/// connections, trailers reach the client, and a server's GOAWAY moves later requests to a new
/// connection without failing any.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class H2cUpstreamTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    internal static Task<FastGateProcess> StartGatewayAsync(GrpcServiceProcess upstream, string clusterKeys = "", string routeKeys = "") =>
        FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            [[route]]
            name = "all"
            path_prefix = "/"
            cluster = "h2"
            {{routeKeys}}
            [cluster.h2]
            endpoints = ["{{upstream.Address}}"]
            protocol = "h2c"
            {{clusterKeys}}
            """);

    private static async Task<int> UpstreamConnectionsAsync(HttpClient throughGateway)
    {
        using var cts = new CancellationTokenSource(Deadline);
        return int.Parse(await throughGateway.GetStringAsync("/h2/connections", cts.Token));
    }

    [Fact]
    public async Task Get_ThroughH2cCluster_UpstreamSeesHttp2WithAuthorityAndForwardingFields()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/h2/info?x=1");
        request.Headers.Add("X-Custom", "kept");
        request.Headers.Add("Connection", "X-Hop");
        request.Headers.Add("X-Hop", "dropped");
        using var response = await client.SendAsync(request, cts.Token);
        var info = await response.Content.ReadAsStringAsync(cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("protocol=HTTP/2\n", info);
        Assert.Contains("method=GET\n", info);
        Assert.Contains("path=/h2/info?x=1\n", info);
        Assert.Contains($"host=127.0.0.1:{gateway.Port}\n", info);
        Assert.Contains("header x-custom=kept\n", info);
        Assert.Contains("header x-forwarded-for=127.0.0.1\n", info);
        Assert.DoesNotContain("x-hop", info);
        Assert.DoesNotContain("header connection", info);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_LargeBody_EchoedWhole(bool chunkedRequest)
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);
        // Several times the stream and connection windows' first grants, so both sides must update them.
        var body = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);

        HttpContent content = chunkedRequest ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        if (chunkedRequest)
        {
            content.Headers.ContentLength = null;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "/h2/echo") { Content = content };
        request.Headers.TransferEncodingChunked = chunkedRequest;
        using var response = await client.SendAsync(request, cts.Token);
        var echoed = await response.Content.ReadAsByteArrayAsync(cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("HTTP/2", response.Headers.GetValues("x-seen-protocol").Single());
        Assert.Equal(body.Length, echoed.Length);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(echoed));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_LargeResponse_WithOrWithoutLength_ArrivesWhole(bool withLength)
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);
        const int size = 12 * 1024 * 1024 + 3;

        using var response = await client.GetAsync($"/h2/bytes/{size}{(withLength ? "?length" : "")}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        // Read before the body: HttpClient fills in a length once it has buffered the body.
        var announced = response.Content.Headers.ContentLength;
        var bytes = await response.Content.ReadAsByteArrayAsync(cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(withLength ? size : null, announced);
        Assert.Equal(!withLength, response.Headers.TransferEncodingChunked == true);
        Assert.Equal(size, bytes.Length);
        for (var i = 0; i < bytes.Length; i += 4099)
        {
            Assert.Equal((byte)(i % 251), bytes[i]);
        }
    }

    [Fact]
    public async Task ManyConcurrentRequests_MultiplexedOnOneUpstreamConnection()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        // 48 client connections at once, each request held 300 ms upstream: all in flight together.
        var requests = Enumerable.Range(0, 48).Select(async i =>
        {
            using var response = await client.GetAsync($"/h2/slow/300?i={i}", cts.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cts.Token));
        }).ToArray();
        var results = await Task.WhenAll(requests);

        Assert.All(results, r => Assert.Equal((HttpStatusCode.OK, "slow"), r));
        // The burst shares the session being opened: one connection (the count's own request rides it too).
        Assert.Equal(1, await UpstreamConnectionsAsync(client));
        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_http2_upstream_streams_total") >= 49);
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_http2_upstream_sessions_open"));
    }

    [Fact]
    public async Task MaxStreamsPerConnection_FullSessionsMakeNewConnections()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream, "max_streams_per_connection = 4");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        var requests = Enumerable.Range(0, 16).Select(async i =>
        {
            using var response = await client.GetAsync($"/h2/slow/500?i={i}", cts.Token);
            return response.StatusCode;
        }).ToArray();
        var statuses = await Task.WhenAll(requests);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var connections = await UpstreamConnectionsAsync(client);
        // 16 at once, 4 per connection: at least 4 connections, and not one per request.
        Assert.InRange(connections, 4, 8);
    }

    [Fact]
    public async Task MaxStreamsOfTheServer_CapsStreamsPerConnection()
    {
        // Kestrel announces SETTINGS_MAX_CONCURRENT_STREAMS = 2, below the cluster's 100.
        await using var upstream = await GrpcServiceProcess.StartAsync("--max-streams", "2");
        await using var gateway = await StartGatewayAsync(upstream);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        var requests = Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await client.GetAsync($"/h2/slow/500?i={i}", cts.Token);
            return response.StatusCode;
        }).ToArray();
        var statuses = await Task.WhenAll(requests);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(await UpstreamConnectionsAsync(client), 4, 8);
    }

    [Fact]
    public async Task Trailers_ReachHttp11ClientAsTrailerSection()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var cts = new CancellationTokenSource(Deadline);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, gateway.Port, cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /h2/trailers HTTP/1.1\r\nHost: test\r\nTE: trailers\r\nConnection: close\r\n\r\n"), cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, cts.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }
        var text = Encoding.ASCII.GetString(received.ToArray());

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("\r\ntransfer-encoding: chunked\r\n", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("body with trailers", text);
        Assert.EndsWith("\r\n0\r\nx-checksum: abc123\r\n\r\n", text);
    }

    [Fact]
    public async Task ChunkedRequestTrailers_ReachTheUpstreamAsTrailingHeaders()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        await using var connection = await RawHttpConnection.ConnectAsync(gateway.Port);

        await connection.SendAsync("POST /h2/request-trailers HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "5\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 42\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("body=11 trailers=x-sum=42", response.BodyText);
    }

    [Fact]
    public async Task UpstreamGoAway_LaterRequestsGoOnANewConnection()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        Assert.Equal("goaway", await client.GetStringAsync("/h2/goaway", cts.Token));
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync($"/h2/info?i={i}", cts.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, await UpstreamConnectionsAsync(client));
        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_http2_upstream_goaway_received_total") >= 1);
    }
}
