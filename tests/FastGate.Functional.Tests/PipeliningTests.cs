using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

[Collection(SharedGatewayCollection.Name)]
public sealed class PipeliningTests(SharedGatewayFixture fixture)
{
    [Fact]
    public async Task Send_ThreeRequestsInOneWrite_AnswersAllInOrder()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync(
            "GET /echo?n=1 HTTP/1.1\r\nHost: pipe\r\n\r\n" +
            "GET /echo?n=2 HTTP/1.1\r\nHost: pipe\r\n\r\n" +
            "GET /status/204 HTTP/1.1\r\nHost: pipe\r\n\r\n");

        var first = await connection.ReadResponseAsync();
        var second = await connection.ReadResponseAsync();
        var third = await connection.ReadResponseAsync();

        Assert.Equal(200, first.Status);
        Assert.Equal("n=1", JsonDocument.Parse(first.Body).RootElement.GetProperty("query").GetString());
        Assert.Equal(200, second.Status);
        Assert.Equal("n=2", JsonDocument.Parse(second.Body).RootElement.GetProperty("query").GetString());
        Assert.Equal(204, third.Status);
        Assert.Empty(third.Body);
    }
}
