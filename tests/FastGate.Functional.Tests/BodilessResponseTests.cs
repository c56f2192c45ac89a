using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

[Collection(SharedGatewayCollection.Name)]
public sealed class BodilessResponseTests(SharedGatewayFixture fixture)
{
    /// <summary>
    /// Each bodiless response is followed by a GET on the same connection: a stray body byte
    /// would corrupt the next response's status line.
    /// </summary>
    [Theory]
    [InlineData("HEAD", "/", 200)]
    [InlineData("HEAD", "/bytes/5000", 200)]
    [InlineData("GET", "/status/204", 204)]
    [InlineData("GET", "/status/304", 304)]
    public async Task Request_BodilessResponse_HasNoBodyAndConnectionStaysUsable(string method, string path, int status)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync($"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");

        var bodiless = await connection.ReadResponseAsync(noBody: method == "HEAD");
        var next = await connection.ReadResponseAsync();

        Assert.Equal(status, bodiless.Status);
        Assert.Empty(bodiless.Body);
        if (method == "HEAD")
        {
            Assert.Equal(path == "/" ? "12" : "5000", bodiless.Header("Content-Length"));
        }
        Assert.Equal(200, next.Status);
        Assert.Equal("Hello World!", next.BodyText);
    }

    [Fact]
    public async Task Post_ExpectContinue_Gets100ThenFinalResponse()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        await connection.SendAsync("POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");

        var interim = await connection.ReadResponseAsync();
        Assert.Equal(100, interim.Status);
        Assert.StartsWith("HTTP/1.1 100 Continue", interim.Head);

        await connection.SendAsync("0123456789");
        var final = await connection.ReadResponseAsync();

        Assert.Equal(200, final.Status);
        var sink = JsonDocument.Parse(final.Body).RootElement;
        Assert.Equal(10, sink.GetProperty("body_length").GetInt64());
        Assert.Equal(Clients.Sha256Hex("0123456789"u8), sink.GetProperty("body_sha256").GetString());
    }
}
