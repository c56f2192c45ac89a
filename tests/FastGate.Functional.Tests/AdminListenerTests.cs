using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>The admin API's socket follows reloads, and its token always guards the address actually bound.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class AdminListenerTests(UpstreamsFixture upstreams)
{
    private const string Token = "admin-secret-1";

    private static string Config(string admin, string? token, int webPort, string upstream) => $$"""
        [admin]
        listen = "{{admin}}"
        {{(token is null ? "" : $"token = \"{token}\"")}}

        [log]
        access = "off"

        [[listener]]
        name = "web"
        listen = "127.0.0.1:{{webPort}}"

        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["{{upstream}}"]
        """;

    /// <summary>Status of a fresh connection's request, or null when nothing answers there.</summary>
    private static async Task<int?> StatusAsync(string baseAddress, HttpMethod method, string path, string? token = null)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        try
        {
            using var response = await client.SendAsync(request);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<(int Status, string Body)> ReloadAsync(string baseAddress, string? token)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/reload");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Reload_AdminMovedToAnotherAddressWithoutToken_OldAddressNoLongerServesWithoutToken()
    {
        var oldPort = FreePort.Next();
        var newPort = FreePort.Next();
        var webPort = FreePort.Next();
        var oldAdmin = $"http://127.0.0.2:{oldPort}";
        var newAdmin = $"http://127.0.0.1:{newPort}";
        await using var daemon = await DaemonRun.StartAsync(Config($"127.0.0.2:{oldPort}", Token, webPort, upstreams.A.Address));
        Assert.Equal(401, await StatusAsync(oldAdmin, HttpMethod.Get, "/config"));
        Assert.Equal(200, await StatusAsync(oldAdmin, HttpMethod.Get, "/config", Token));

        daemon.WriteConfig(Config($"127.0.0.1:{newPort}", null, webPort, upstreams.A.Address));
        var (status, body) = await ReloadAsync(oldAdmin, Token);
        Assert.True(status == 200, body);

        // The old address was given up with its token: nothing there may answer without it.
        var old = await StatusAsync(oldAdmin, HttpMethod.Get, "/config");
        Assert.True(old is null or 401, $"old admin address answered /config without a token: {old}");
        Assert.True(await StatusAsync(oldAdmin, HttpMethod.Post, "/reload") is null or 401, "old admin address reloads without a token");
        Assert.Equal(200, await StatusAsync(newAdmin, HttpMethod.Get, "/config"));
    }

    [Fact]
    public async Task Reload_SameAdminAddressNewToken_KeepsTheSocketAndChecksTheNewToken()
    {
        var port = FreePort.Next();
        var webPort = FreePort.Next();
        var admin = $"http://127.0.0.2:{port}";
        await using var daemon = await DaemonRun.StartAsync(Config($"127.0.0.2:{port}", Token, webPort, upstreams.A.Address));

        daemon.WriteConfig(Config($"127.0.0.2:{port}", "admin-secret-2", webPort, upstreams.A.Address));
        var (status, body) = await ReloadAsync(admin, Token);

        Assert.True(status == 200, body);
        Assert.Equal(401, await StatusAsync(admin, HttpMethod.Get, "/config", Token));
        Assert.Equal(200, await StatusAsync(admin, HttpMethod.Get, "/config", "admin-secret-2"));
        Assert.DoesNotContain(daemon.Process.Stderr.Split('\n'), l => l.Contains($"admin on 127.0.0.2:{port} closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_AdminMovedToBusyAddress_IsRejectedNamingItAndOldAdminKeepsItsToken()
    {
        var oldPort = FreePort.Next();
        var webPort = FreePort.Next();
        var oldAdmin = $"http://127.0.0.2:{oldPort}";
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen();
        var busy = (IPEndPoint)squatter.LocalEndPoint!;
        await using var daemon = await DaemonRun.StartAsync(Config($"127.0.0.2:{oldPort}", Token, webPort, upstreams.A.Address));

        daemon.WriteConfig(Config(busy.ToString(), null, webPort, upstreams.A.Address));
        var (status, body) = await ReloadAsync(oldAdmin, Token);

        Assert.Equal(422, status);
        Assert.Contains("admin listener", body, StringComparison.Ordinal);
        Assert.Contains(busy.ToString(), body, StringComparison.Ordinal);
        Assert.Equal(401, await StatusAsync(oldAdmin, HttpMethod.Get, "/config"));
        Assert.Equal(200, await StatusAsync(oldAdmin, HttpMethod.Get, "/config", Token));
    }

    [Fact]
    public async Task Head_ThenGetOnOneConnection_HeadHasNoBodyAndGetIsAnsweredIntact()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address));
        await using var connection = await RawHttpConnection.ConnectAsync(gateway.AdminPort);

        await connection.SendAsync("HEAD /metrics HTTP/1.1\r\nHost: admin\r\n\r\nGET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
        var head = await connection.ReadResponseAsync(noBody: true);
        var get = await connection.ReadResponseAsync();

        Assert.Equal(200, head.Status);
        Assert.Equal(200, get.Status);
        Assert.Equal("ok\n", get.BodyText);
    }

    [Fact]
    public async Task IdleAndStalledConnections_AreClosedByTheHeaderTimeout()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address));
        await using var silent = await RawHttpConnection.ConnectAsync(gateway.AdminPort);
        await using var stalled = await RawHttpConnection.ConnectAsync(gateway.AdminPort);
        await stalled.SendAsync("GET /metrics HTTP/1.1\r\nHost: ad");
        var clock = Stopwatch.StartNew();

        // The header timeout is 10 s; 40 s leaves room for a loaded machine.
        var closed = await Task.WhenAll(silent.IsClosedByPeerAsync(TimeSpan.FromSeconds(40)), stalled.IsClosedByPeerAsync(TimeSpan.FromSeconds(40)));

        Assert.True(closed[0], $"a connection that sent nothing was still open after {clock.Elapsed}");
        Assert.True(closed[1], $"a connection with half a head was still open after {clock.Elapsed}");
        Assert.Equal(200, (int)(await gateway.Admin.GetAsync("/healthz")).StatusCode);
    }
}
