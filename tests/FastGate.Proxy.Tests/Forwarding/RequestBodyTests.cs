using System.Buffers;
using System.Text;
using FastGate.Core.Transport;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>Request bodies streaming upstream while the response is awaited, and how they fail.</summary>
public class RequestBodyTests
{
    private static string Config() => TestGateway.OneRouteConfig(routeKeys: "max_body_bytes = \"1KiB\"");

    [Fact]
    public async Task Post_BodyThenNextRequest_BothAnsweredOnOneConnection()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        await client.SendAsync("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        Assert.All(responses, r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
        Assert.DoesNotContain("Connection: close", responses[0]);
        Assert.EndsWith("\r\n\r\nhello", origin.Requests.First());
        Assert.Equal(1, origin.Connections);
    }

    [Fact]
    public async Task Post_NextRequestInTheSameSegment_IsAnsweredToo()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        var responses = await client.ReceiveAsync(2);

        Assert.Equal(2, responses.Count);
        Assert.All(responses, r => Assert.StartsWith("HTTP/1.1 200 OK\r\n", r));
    }

    [Fact]
    public async Task Post_InvalidChunkFraming_Answers400AndCloses()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n");

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", (await client.ReceiveAsync()).Single());
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task Post_ChunkedBodyOverTheRouteLimit_Answers413AndCloses()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001");
        using var gateway = new TestGateway(Config(), origin);
        using var client = gateway.Connect();

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + new string('x', 2048) + "\r\n");

        Assert.StartsWith("HTTP/1.1 413 ", (await client.ReceiveAsync()).Single());
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task Post_ClientStopsSendingTheBody_Answers408()
    {
        using var gateway = new TestGateway(Config(), new InMemoryOrigin("127.0.0.1:9001"));
        var (client, server) = InMemoryTransport.CreatePair();
        using var owned = client;
        var connection = new Http1ProxyConnection(server, "127.0.0.1"u8.ToArray(), gateway.Gateway, "web", null);
        _ = connection.Start();
        client.Output.Write(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel"));
        await client.Output.FlushAsync();

        connection.OnHeartbeat(long.MaxValue);

        var result = await client.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 408 ", Encoding.ASCII.GetString(result.Buffer.FirstSpan));
    }
}
