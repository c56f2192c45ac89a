namespace FastGate.Proxy.Tests.Forwarding;

public class Http1ProxyConnectionTests
{
    private static string Config(int port, string routes = """
        [[route]]
        name = "api"
        path_prefix = "/api/"
        strip_prefix = "/api"
        cluster = "a"

        [[route]]
        name = "rest"
        path_prefix = "/"
        cluster = "a"
        """, string cluster = "127.0.0.1:9001") => $"""
        [admin]
        listen = "127.0.0.1:{FreePort.Next()}"
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "127.0.0.1:{port}"
        {routes}
        [cluster.a]
        endpoints = ["{cluster}"]
        [cluster.b]
        endpoints = ["127.0.0.1:9002"]
        """;

    [Fact]
    public async Task Forward_AddsForwardingHeadersAndDropsHopByHop()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect(clientAddress: "192.0.2.7");

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nConnection: keep-alive, x-secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nAccept: */*\r\n\r\n");
        var response = (await client.ReceiveAsync()).Single();

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        var request = Assert.Single(origin.Requests);
        Assert.StartsWith("GET /x HTTP/1.1\r\n", request);
        Assert.Equal("shop.example", InMemoryOrigin.HeaderValue(request, "Host"));
        Assert.Equal("192.0.2.7", InMemoryOrigin.HeaderValue(request, "X-Forwarded-For"));
        Assert.Equal("http", InMemoryOrigin.HeaderValue(request, "X-Forwarded-Proto"));
        Assert.Equal("shop.example", InMemoryOrigin.HeaderValue(request, "X-Forwarded-Host"));
        Assert.Equal("1.1 fastgate", InMemoryOrigin.HeaderValue(request, "Via"));
        Assert.Equal("*/*", InMemoryOrigin.HeaderValue(request, "Accept"));
        Assert.Null(InMemoryOrigin.HeaderValue(request, "X-Secret"));
        Assert.Null(InMemoryOrigin.HeaderValue(request, "Keep-Alive"));
        Assert.Null(InMemoryOrigin.HeaderValue(request, "TE"));
        Assert.Null(InMemoryOrigin.HeaderValue(request, "Connection"));
    }

    [Theory]
    [InlineData("", "192.0.2.7", "X-Forwarded-For: 10.0.0.1\r\n", "192.0.2.7")]
    [InlineData("trusted_proxies = [\"10.0.0.0/8\"]", "192.0.2.7", "X-Forwarded-For: 10.0.0.1\r\n", "192.0.2.7")]
    [InlineData("trusted_proxies = [\"10.0.0.0/8\"]", "10.1.2.3", "X-Forwarded-For: 203.0.113.5\r\n", "203.0.113.5, 10.1.2.3")]
    [InlineData("trusted_proxies = [\"10.0.0.0/8\"]", "10.1.2.3", "X-Forwarded-For: 203.0.113.5, 10.9.9.9\r\nX-Forwarded-For: 10.8.8.8\r\n", "203.0.113.5, 10.9.9.9, 10.8.8.8, 10.1.2.3")]
    [InlineData("trusted_proxies = [\"::1/128\"]", "::1", "X-Forwarded-For: 203.0.113.5\r\n", "203.0.113.5, ::1")]
    [InlineData("trusted_proxies = [\"10.0.0.0/8\"]", "10.1.2.3", "", "10.1.2.3")]
    public async Task Forward_XForwardedFor_KeptOnlyFromTrustedProxies(string listenerKeys, string clientAddress, string sent, string expected)
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        var config = Config(FreePort.Next()).Replace("name = \"web\"", "name = \"web\"\n" + listenerKeys);
        using var gateway = new TestGateway(config, origin);
        using var client = gateway.Connect(clientAddress: clientAddress);

        await client.SendAsync($"GET /x HTTP/1.1\r\nHost: a\r\n{sent}\r\n");
        await client.ReceiveAsync();

        var request = Assert.Single(origin.Requests);
        Assert.Single(request.Split("\r\n"), line => line.StartsWith("X-Forwarded-For:", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(expected, InMemoryOrigin.HeaderValue(request, "X-Forwarded-For"));
    }

    [Theory]
    [InlineData("192.0.2.7")]
    [InlineData("10.1.2.3")]
    public async Task Forward_XForwardedForNamedInConnection_StillCarriesTheClientAddress(string clientAddress)
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        var config = Config(FreePort.Next()).Replace("name = \"web\"", "name = \"web\"\ntrusted_proxies = [\"10.0.0.0/8\"]");
        using var gateway = new TestGateway(config, origin);
        using var client = gateway.Connect(clientAddress: clientAddress);

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Forwarded-For\r\nX-Forwarded-For: 203.0.113.5\r\n\r\n");
        await client.ReceiveAsync();

        var request = Assert.Single(origin.Requests);
        Assert.Single(request.Split("\r\n"), line => line.StartsWith("X-Forwarded-For:", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(clientAddress, InMemoryOrigin.HeaderValue(request, "X-Forwarded-For"));
        Assert.Null(InMemoryOrigin.HeaderValue(request, "Connection"));
    }

    [Fact]
    public async Task Forward_StripPrefix_SendsTheRestOfThePathAndTheQuery()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /api/items?page=2 HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReceiveAsync();

        Assert.StartsWith("GET /items?page=2 HTTP/1.1\r\n", Assert.Single(origin.Requests));
    }

    [Fact]
    public async Task Forward_ResponseHeadsTrickled_ReachTheClientWholeOnOnePooledConnection()
    {
        // Each read of the upstream resumes the head scan where the last stopped; the scan must
        // start over for the next exchange on the same pooled connection, whose head is shorter.
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Trickle = true,
            Respond = request => "HTTP/1.1 200 OK\r\nX-Slow: " + new string('s', request.StartsWith("GET /long", StringComparison.Ordinal) ? 300 : 20)
                + "\r\nContent-Length: 5\r\n\r\nhello",
        };
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        var exchanges = new[] { ("/long", 300), ("/short", 20) };
        for (var i = 0; i < exchanges.Length; i++)
        {
            var (path, length) = exchanges[i];
            await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");
            // The client keeps every response it has read; the newest is the last.
            var response = (await client.ReceiveAsync(i + 1))[i];
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
            Assert.Contains("X-Slow: " + new string('s', length) + "\r\n", response);
            Assert.EndsWith("\r\n\r\nhello", response);
        }
        Assert.Equal(1, origin.Connections);
    }

    private const string PubAndEchoRoutes = """
        [[route]]
        name = "pub"
        path_prefix = "/pub/"
        cluster = "a"

        [[route]]
        name = "echo"
        path_prefix = "/echo"
        cluster = "b"
        """;

    [Theory]
    [InlineData("/pub/../echo")]
    [InlineData("/pub/%2e%2e/echo")]
    [InlineData("/pub/%2E./echo")]
    [InlineData("/pub/./../echo")]
    [InlineData("/pub/x/../../echo")]
    public async Task Forward_DotSegmentsOutOfAPrefix_AreRoutedAndForwardedNormalized(string path)
    {
        var pub = new InMemoryOrigin("127.0.0.1:9001");
        var echo = new InMemoryOrigin("127.0.0.1:9002");
        using var gateway = new TestGateway(Config(FreePort.Next(), PubAndEchoRoutes), pub, echo);
        using var client = gateway.Connect();

        await client.SendAsync($"GET {path}?q=%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", (await client.ReceiveAsync()).Single());

        Assert.Empty(pub.Requests);
        Assert.StartsWith("GET /echo?q=%2e%2e/x HTTP/1.1\r\n", Assert.Single(echo.Requests));
    }

    [Fact]
    public async Task Forward_StripPrefix_AppliesToTheNormalizedPath()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /api/v1/./%69tems/../items HTTP/1.1\r\nHost: a\r\n\r\nGET /x/../api/y HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReceiveAsync(2);

        Assert.Equal(["GET /v1/items HTTP/1.1", "GET /y HTTP/1.1"], origin.Requests.Select(r => r[..r.IndexOf('\r')]));
    }

    [Theory]
    [InlineData("/pub/%zz", "")]
    [InlineData("/pub/%2", "")]
    [InlineData("/pub/a%2Fb", "escaped_slashes = \"reject\"")]
    [InlineData("/pub/a\\b", "escaped_slashes = \"reject\"")]
    public async Task Serve_BadOrRejectedPath_Answers400AndCloses(string path, string listenerKeys)
    {
        var pub = new InMemoryOrigin("127.0.0.1:9001");
        var config = Config(FreePort.Next(), PubAndEchoRoutes).Replace("name = \"web\"", "name = \"web\"\n" + listenerKeys);
        using var gateway = new TestGateway(config, pub);
        using var client = gateway.Connect();

        await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", (await client.ReceiveAsync()).Single());
        Assert.True(await client.ClosedAsync());
        Assert.Empty(pub.Requests);
    }

    [Fact]
    public async Task Forward_MergeSlashes_RoutesAndForwardsOneSlash()
    {
        var pub = new InMemoryOrigin("127.0.0.1:9001");
        var echo = new InMemoryOrigin("127.0.0.1:9002");
        var config = Config(FreePort.Next(), PubAndEchoRoutes).Replace("name = \"web\"", "name = \"web\"\nmerge_slashes = true");
        using var gateway = new TestGateway(config, pub, echo);
        using var client = gateway.Connect();

        await client.SendAsync("GET //pub//a HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReceiveAsync();

        Assert.StartsWith("GET /pub/a HTTP/1.1\r\n", Assert.Single(pub.Requests));
    }

    [Fact]
    public async Task Forward_AbsoluteForm_UsesTheAuthorityAsHostButOurRoute()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET http://other.example/page HTTP/1.1\r\nHost: ignored.example\r\n\r\n");
        await client.ReceiveAsync();

        var request = Assert.Single(origin.Requests);
        Assert.StartsWith("GET /page HTTP/1.1\r\n", request);
        Assert.Equal("other.example", InMemoryOrigin.HeaderValue(request, "Host"));
    }

    [Fact]
    public async Task Serve_PipelinedRequests_AnswersInOrderOverOneUpstreamConnection()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = request => $"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n{request.Split(' ')[1][^1]}",
        };
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
        var responses = await client.ReceiveAsync(3);

        Assert.Equal(["1", "2", "3"], responses.Select(r => r[^1..]));
        Assert.Equal(1, origin.Connections);
    }

    [Fact]
    public async Task Forward_ChunkedRequest_ReachesUpstreamChunked()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n");
        await client.ReceiveAsync();

        var request = Assert.Single(origin.Requests);
        Assert.EndsWith("\r\n\r\n5\r\nhello\r\n0\r\n\r\n", request);
        Assert.Equal("chunked", InMemoryOrigin.HeaderValue(request, "Transfer-Encoding"));
    }

    [Fact]
    public async Task Forward_UpstreamBodyDelimitedByClose_IsChunkedToHttp11Client()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close", CloseAfterResponse = true };
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = (await client.ReceiveAsync()).Single();

        Assert.Contains("Transfer-Encoding: chunked\r\n", response);
        Assert.DoesNotContain("Connection: close", response);
        Assert.EndsWith("\r\n\r\nb\r\nuntil close\r\n0\r\n\r\n", response);
    }

    [Fact]
    public async Task Serve_Exchanges_CountEveryByteInBothDirections()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();
        const string post = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
        const string missing = "GET /api HTTP/1.1\r\nHost: a\r\nX: \u0001\r\n\r\n";

        await client.SendAsync(post);
        var ok = (await client.ReceiveAsync()).Single();
        await client.SendAsync(missing);
        var bad = (await client.ReceiveAsync(2))[1];
        var metrics = gateway.Gateway.Metrics.Render(gateway.Gateway.Endpoints);

        Assert.Contains($"fastgate_bytes_received_total {post.Length + missing.Length}\n", metrics);
        Assert.Contains($"fastgate_bytes_sent_total {ok.Length + bad.Length}\n", metrics);
    }

    [Fact]
    public async Task Serve_NoRoute_Answers404AndKeepsTheConnection()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        var routes = """
            [[route]]
            name = "api"
            path_prefix = "/api/"
            cluster = "a"
            """;
        using var gateway = new TestGateway(Config(FreePort.Next(), routes), origin);
        using var client = gateway.Connect();

        await client.SendAsync("GET /nothing HTTP/1.1\r\nHost: a\r\n\r\nGET /api/x HTTP/1.1\r\nHost: a\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", responses[0]);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", responses[1]);
    }

    [Fact]
    public async Task Serve_SmugglingAttempt_Answers400AndCloses()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(FreePort.Next()), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = (await client.ReceiveAsync()).Single();

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response);
        Assert.Contains("Connection: close", response);
        Assert.True(await client.ClosedAsync());
        Assert.Empty(origin.Requests);
    }

    [Theory]
    [InlineData("GET /echo\r\n", "400 Bad Request")]
    [InlineData("GET /echo\r\nHost: a\r\n", "400 Bad Request")]
    [InlineData("GET  /echo HTTP/1.1\r\n", "400 Bad Request")]
    [InlineData("GET /echo HTTP/2.0\r\nHost: a\r\n", "505 HTTP Version Not Supported")]
    public async Task Serve_MalformedRequestLine_AnsweredAtItsCrlfNotAfterTheHeaderTimeout(string sent, string status)
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        // The head never completes: only judging the request line alone can answer before 60 s.
        var config = Config(FreePort.Next()).Replace("name = \"web\"", "name = \"web\"\nheader_timeout = \"60s\"");
        using var gateway = new TestGateway(config, origin);
        using var client = gateway.Connect();

        await client.SendAsync(sent);

        // ReceiveAsync gives up after 10 s, far below the header timeout.
        Assert.StartsWith($"HTTP/1.1 {status}\r\n", (await client.ReceiveAsync()).Single());
        Assert.True(await client.ClosedAsync());
        Assert.Empty(origin.Requests);
    }

    [Fact]
    public async Task Serve_UpstreamRefuses_Answers502()
    {
        using var gateway = new TestGateway(Config(FreePort.Next(), cluster: "127.0.0.1:9999"));
        using var client = gateway.Connect();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 502 Bad Gateway\r\n", (await client.ReceiveAsync()).Single());
    }

    [Fact]
    public async Task Serve_ClusterWithoutEndpoints_Answers503()
    {
        using var gateway = new TestGateway($"""
            [admin]
            listen = "127.0.0.1:{FreePort.Next()}"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:{FreePort.Next()}"
            [[route]]
            name = "maintenance"
            path_prefix = "/"
            cluster = "down"
            [cluster.down]
            endpoints = []
            """);
        using var client = gateway.Connect();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", (await client.ReceiveAsync()).Single());
    }

    [Fact]
    public async Task Reload_InFlightExchange_FinishesOnItsSnapshotAndTheNextUsesTheNewOne()
    {
        var port = FreePort.Next();
        var a = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na" };
        var b = new InMemoryOrigin("127.0.0.1:9002") { Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb" };
        var release = new TaskCompletionSource();
        a.Hold = release.Task;
        using var gateway = new TestGateway(Config(port), a, b);
        using var client = gateway.Connect();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var reload = gateway.Reload(Config(port, """
            [[route]]
            name = "all"
            path_prefix = "/"
            cluster = "b"
            """));
        release.SetResult();
        var first = (await client.ReceiveAsync()).Single();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var second = (await client.ReceiveAsync(2))[1];

        Assert.True(reload.Success);
        Assert.EndsWith("a", first);
        Assert.EndsWith("b", second);
        Assert.Equal(2, gateway.Gateway.Current.Generation);
    }

    [Fact]
    public async Task Reload_EndpointThatStays_KeepsItsPooledConnection()
    {
        var port = FreePort.Next();
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(port), origin);
        using (var client = gateway.Connect())
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            await client.ReceiveAsync();
        }
        var before = gateway.Gateway.Endpoints.Single(e => e.Address == "127.0.0.1:9001");

        Assert.True(gateway.Reload(Config(port, """
            [[route]]
            name = "renamed"
            path_prefix = "/"
            cluster = "a"
            """)).Success);
        using (var client = gateway.Connect())
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            await client.ReceiveAsync();
        }

        Assert.Same(before, gateway.Gateway.Endpoints.Single(e => e.Address == "127.0.0.1:9001"));
        Assert.Equal(1, origin.Connections);
    }

    [Fact]
    public async Task Reload_InvalidConfig_KeepsServingTheOldOne()
    {
        var port = FreePort.Next();
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(port), origin);

        var reload = gateway.Reload(Config(port) + "\nbogus_key = 1\n");
        using var client = gateway.Connect();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.False(reload.Success);
        Assert.Contains(reload.Errors, e => e.Message.Contains("bogus_key"));
        Assert.Equal(1, gateway.Gateway.Current.Generation);
        Assert.StartsWith("HTTP/1.1 200 OK", (await client.ReceiveAsync()).Single());
    }

    [Fact]
    public void Reload_ListenerRenamedOnTheSameAddress_KeepsItsSocket()
    {
        var port = FreePort.Next();
        using var gateway = new TestGateway(Config(port));
        var before = gateway.Gateway.ListenerEndPoint("web");

        var reload = gateway.Reload(Config(port).Replace("name = \"web\"", "name = \"www\""));
        using var client = new System.Net.Sockets.TcpClient();
        client.Connect(before);

        Assert.True(reload.Success, string.Join("\n", reload.Errors));
        Assert.Equal(before, gateway.Gateway.ListenerEndPoint("www"));
        Assert.True(client.Connected);
    }

    [Fact]
    public void Reload_ListenerOnABusyPort_IsRejectedAndTheOldConfigServes()
    {
        var port = FreePort.Next();
        using var gateway = new TestGateway(Config(port));
        using var squatter = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        squatter.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        squatter.Listen();
        var busy = ((System.Net.IPEndPoint)squatter.LocalEndPoint!).Port;

        var reload = gateway.Reload(Config(port) + $"""

            [[listener]]
            name = "extra"
            listen = "127.0.0.1:{busy}"
            """);

        Assert.False(reload.Success);
        Assert.Equal(1, gateway.Gateway.Current.Generation);
        Assert.Equal(port, gateway.Gateway.ListenerEndPoint("web").Port);
    }
}
