namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>Answers the proxy makes itself, as a keep-alive client sees them.</summary>
public class LocalAnswerTests
{
    private static string Config(string cluster) => $"""
        [admin]
        listen = "127.0.0.1:{TestGateway.FreePort()}"
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "127.0.0.1:{TestGateway.FreePort()}"
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
}
