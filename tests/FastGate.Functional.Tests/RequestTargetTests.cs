using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>What reaches which upstream when the request line or its path is odd, over real sockets.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class RequestTargetTests(UpstreamsFixture upstreams)
{
    private string Config() => $$"""
        [admin]
        listen = "{admin}"

        [log]
        access = "off"

        [defaults]
        header_timeout = "60s"

        [[listener]]
        name = "web"
        listen = "{listen}"

        [[route]]
        name = "pub"
        path_prefix = "/pub/"
        cluster = "a"

        [[route]]
        name = "echo"
        path_prefix = "/echo"
        cluster = "b"

        [cluster.a]
        endpoints = ["{{upstreams.A.Address}}"]

        [cluster.b]
        endpoints = ["{{upstreams.B.Address}}"]
        """;

    [Fact]
    public async Task Get_DotSegmentsOutOfAPrefixRoute_ServedByTheRouteOfTheNormalizedPath()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());

        foreach (var target in new[] { "/pub/../echo", "/pub/%2e%2e/echo", "/pub/%2E%2e/./echo?x=1" })
        {
            await using var connection = await RawHttpConnection.ConnectAsync(gateway.Port);
            await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");

            var response = await connection.ReadResponseAsync();

            Assert.Equal(200, response.Status);
            Assert.Equal(upstreams.B.Name, response.Header("x-upstream"));
            var echoed = JsonDocument.Parse(response.Body).RootElement;
            Assert.Equal("/echo", echoed.GetProperty("path").GetString());
        }
    }

    [Fact]
    public async Task Get_RequestLineWithoutVersion_Answered400BeforeTheHeaderTimeout()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        await using var connection = await RawHttpConnection.ConnectAsync(gateway.Port);

        // The head never ends: before the fix this waited for header_timeout (60 s) and got 408.
        await connection.SendAsync("GET /echo\r\nHost: x\r\n");
        using var readTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var response = await connection.ReadResponseAsync(cancellationToken: readTimeout.Token);

        Assert.Equal(400, response.Status);
        Assert.True(await connection.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));
    }
}
