using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

[Collection(SharedGatewayCollection.Name)]
public sealed class HeaderForwardingTests(SharedGatewayFixture fixture)
{
    private static JsonElement Headers(RawResponse response) => JsonDocument.Parse(response.Body).RootElement.GetProperty("headers");

    [Fact]
    public async Task Get_WithForwardedForFromUntrustedClient_UpstreamSeesOnlyTheClientAddressAndVia()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo");
        request.Headers.Host = "shop.example";
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        using var response = await client.SendAsync(request, cts.Token);

        Assert.Equal(200, (int)response.StatusCode);
        var headers = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token)).RootElement.GetProperty("headers");
        // No trusted_proxies in the shared config: what the client claims is replaced.
        Assert.Equal("127.0.0.1", headers.GetProperty("x-forwarded-for").GetString());
        Assert.Equal("http", headers.GetProperty("x-forwarded-proto").GetString());
        Assert.Equal("shop.example", headers.GetProperty("x-forwarded-host").GetString());
        Assert.Equal("shop.example", headers.GetProperty("host").GetString());
        Assert.Contains("1.1 fastgate", headers.GetProperty("via").GetString());
    }

    [Fact]
    public async Task Get_WithHopByHopHeaders_UpstreamDoesNotSeeThem()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync(
            "GET /echo HTTP/1.1\r\nHost: x\r\n" +
            "Connection: keep-alive, X-Foo\r\nX-Foo: secret-hop\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\n" +
            "Proxy-Connection: keep-alive\r\nX-Keep: end-to-end\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        var headers = Headers(response);
        Assert.Equal("end-to-end", headers.GetProperty("x-keep").GetString());
        foreach (var hop in new[] { "x-foo", "keep-alive", "te", "upgrade", "proxy-connection" })
        {
            Assert.False(headers.TryGetProperty(hop, out _), $"hop-by-hop header '{hop}' was forwarded: {headers}");
        }
        if (headers.TryGetProperty("connection", out var connectionHeader))
        {
            Assert.DoesNotContain("x-foo", connectionHeader.ToString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Get_AbsoluteFormTarget_ServedByOwnRouteWithAuthorityAsHost()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync("GET http://other.example/echo?via=absolute HTTP/1.1\r\nHost: x\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        // Served by our mock through our route: not an open proxy to other.example.
        Assert.Equal(fixture.Upstream.Name, response.Header("x-upstream"));
        var echo = JsonDocument.Parse(response.Body).RootElement;
        Assert.Equal("/echo", echo.GetProperty("path").GetString());
        Assert.Equal("via=absolute", echo.GetProperty("query").GetString());
        Assert.Equal("other.example", echo.GetProperty("headers").GetProperty("host").GetString());
    }
}
