namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>Answers the proxy makes itself, as a keep-alive client sees them.</summary>
public class LocalAnswerTests
{
    private static string Config(string cluster) => $"""
        [admin]
        listen = "127.0.0.1:{FreePort.Next()}"
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "127.0.0.1:{FreePort.Next()}"
        [[route]]
        name = "api"
        path_prefix = "/api/"
        cluster = "a"
        [[route]]
        name = "down"
        path_prefix = "/down/"
        cluster = "down"
        [cluster.a]
        endpoints = ["{cluster}"]
        [cluster.down]
        endpoints = []
        """;

    [Theory]
    [InlineData("/nothing", "404 Not Found")]
    [InlineData("/down/x", "503 Service Unavailable")]
    public async Task Head_LocalAnswer_HasNoBodyAndTheNextResponseParses(string path, string status)
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config("127.0.0.1:9001"), origin);
        using var client = gateway.Connect();

        await client.SendAsync($"HEAD {path} HTTP/1.1\r\nHost: a\r\n\r\nGET /api/x HTTP/1.1\r\nHost: a\r\n\r\n");
        var text = await client.ReceiveTextAsync(t => t.EndsWith("\r\n\r\nok", StringComparison.Ordinal));

        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var head = text[..split];
        Assert.StartsWith($"HTTP/1.1 {status}\r\n", head);
        // The head says what a GET would get, but the body is left out.
        Assert.NotNull(InMemoryOrigin.HeaderValue(head, "Content-Length"));
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", text[split..]);
    }

    [Fact]
    public async Task Head_UpstreamRefuses_502HasNoBodyAndTheConnectionServesOn()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config("127.0.0.1:9999"), origin);
        using var client = gateway.Connect();

        await client.SendAsync("HEAD /api/x HTTP/1.1\r\nHost: a\r\n\r\nGET /nothing HTTP/1.1\r\nHost: a\r\n\r\n");
        var text = await client.ReceiveTextAsync(t => t.EndsWith("no route matches this request\n", StringComparison.Ordinal));

        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.StartsWith("HTTP/1.1 502 Bad Gateway\r\n", text);
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", text[split..]);
    }

    [Fact]
    public async Task Serve_HeadTooLarge_AnswersThenKeepsReadingUntilTheClientCloses()
    {
        using var gateway = new TestGateway(Config("127.0.0.1:9001"), new InMemoryOrigin("127.0.0.1:9001"));
        var client = gateway.Connect();

        await client.SendAsync("GET /api/x HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('b', 40 * 1024));
        Assert.StartsWith("HTTP/1.1 431 ", (await client.ReceiveAsync()).Single());
        // Our side is shut (the FIN after the answer), but the rest of the request is still
        // taken, so the client's kernel never turns the close into a reset.
        Assert.True(await client.ClosedAsync());
        await client.SendAsync(new string('b', 64 * 1024) + "\r\n\r\n");
        Assert.Equal(1, gateway.Gateway.Connections.Count);

        client.Dispose();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (gateway.Gateway.Connections.Count != 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
