using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

[Collection(SharedGatewayCollection.Name)]
public sealed class ChunkedTests(SharedGatewayFixture fixture)
{
    [Fact]
    public async Task Post_ChunkedBodyOfUnknownLength_ReachesUpstreamChunkedAndIntact()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var body = new PatternStream(300_000);
        using var content = new StreamContent(body);

        using var response = await client.PostAsync("/echo", content, cts.Token);

        Assert.Equal(200, (int)response.StatusCode);
        var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token)).RootElement;
        Assert.Equal("chunked", echo.GetProperty("headers").GetProperty("transfer-encoding").GetString());
        Assert.Equal(300_000, echo.GetProperty("body_length").GetInt64());
        Assert.Equal(body.Sha256Hex(), echo.GetProperty("body_sha256").GetString());
    }

    [Fact]
    public async Task Post_ChunkedBodyToSink_ShaMatches()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var body = new PatternStream(5_000_000);
        using var content = new StreamContent(body);

        using var response = await client.PostAsync("/sink", content, cts.Token);

        Assert.Equal(200, (int)response.StatusCode);
        var sink = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token)).RootElement;
        Assert.Equal(5_000_000, sink.GetProperty("body_length").GetInt64());
        Assert.Equal(body.Sha256Hex(), sink.GetProperty("body_sha256").GetString());
    }

    [Fact]
    public async Task Get_ChunkedResponse_ForwardedChunkedWithPatternBody()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync("GET /chunked/100000 HTTP/1.1\r\nHost: chunk\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        Assert.False(response.HasHeader("Content-Length"));
        Assert.Equal(Clients.PatternBytes(100_000), response.Body);
    }
}
