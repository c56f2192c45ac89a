using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// One daemon and one mock upstream for the route transforms: the upstream's /echo shows what
/// reached it, the raw connection what the client got.
/// </summary>
public sealed class TransformGatewayFixture : IAsyncLifetime
{
    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;

    public FastGateProcess Gateway => _gateway!;

    private const string Config = """
        [admin]
        listen = "{admin}"

        [log]
        access = "access.log"

        [[listener]]
        name = "web"
        listen = "{listen}"

        [[route]]
        name = "edit"
        path_prefix = "/edit/"
        cluster = "mock"
        request_id = true
        request_headers = { set = { "x-client" = "${client_ip}", "x-route" = "${route}", "x-replace" = "new ${method} ${path}${query}" }, add = { "x-tag" = "added" }, remove = ["x-drop"] }
        response_headers = { set = { "x-served-by" = "fastgate ${route}" }, remove = ["x-upstream"] }
        rewrite = { prefix = "/" }
        host_rewrite = "internal.example"

        [[route]]
        name = "regex"
        path_regex = "^/v1/"
        cluster = "mock"
        rewrite = { regex = "^/v1/(.*)$", replacement = "/$1" }

        [[route]]
        name = "old"
        path_prefix = "/old/"
        redirect = { status = 301, location = "https://new.example${path}${query}" }

        [[route]]
        name = "ping"
        path = "/ping"
        direct_response = { body = "pong\n" }
        response_headers = { set = { "cache-control" = "no-store" } }

        [[route]]
        name = "denied"
        path_prefix = "/denied/"
        cluster = "mock"
        deny = ["127.0.0.1", "::1"]

        [[route]]
        name = "tenonly"
        path_prefix = "/tenonly/"
        cluster = "mock"
        allow = ["10.0.0.0/8"]

        [[route]]
        name = "loopback"
        path_prefix = "/loopback/"
        cluster = "mock"
        allow = ["127.0.0.0/8", "::1"]
        rewrite = { prefix = "/" }

        [[route]]
        name = "cors"
        path_prefix = "/cors/"
        cluster = "mock"
        rewrite = { prefix = "/" }
        [route.cors]
        allow_origins = ["https://app.example", "https://*.tools.example"]
        allow_methods = ["GET", "PUT"]
        allow_headers = ["content-type", "x-api-key"]
        expose_headers = ["x-request-id"]
        max_age = "10m"
        allow_credentials = true

        [cluster.mock]
        endpoints = ["{upstream}"]
        """;

    public async Task InitializeAsync()
    {
        _upstream = await MockUpstreamProcess.StartAsync("t");
        _gateway = await FastGateProcess.StartAsync(Config.Replace("{upstream}", _upstream.Address, StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }
}

public sealed class TransformTests(TransformGatewayFixture fixture) : IClassFixture<TransformGatewayFixture>
{
    private int Port => fixture.Gateway.Port;

    private static JsonElement Echo(RawResponse response) => JsonDocument.Parse(response.Body).RootElement;

    private async Task<RawResponse> SendAsync(string request, bool noBody = false)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(Port);
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync(noBody);
    }

    [Fact]
    public async Task Get_HeaderTransformsAndRewrites_ReachTheUpstreamAndTheClient()
    {
        var response = await SendAsync(
            "GET /edit/echo?a=1 HTTP/1.1\r\nHost: shop.example\r\nX-Drop: secret\r\nX-Replace: old\r\nX-Tag: client\r\nX-Request-Id: trace-42\r\n\r\n");

        Assert.Equal(200, response.Status);
        var echo = Echo(response);
        Assert.Equal("/echo", echo.GetProperty("path").GetString());
        Assert.Equal("a=1", echo.GetProperty("query").GetString());
        var headers = echo.GetProperty("headers");
        Assert.Equal("127.0.0.1", headers.GetProperty("x-client").GetString());
        Assert.Equal("edit", headers.GetProperty("x-route").GetString());
        Assert.Equal("new GET /edit/echo?a=1", headers.GetProperty("x-replace").GetString());
        Assert.Equal(["client", "added"], headers.GetProperty("x-tag").EnumerateArray().Select(v => v.GetString()));
        Assert.False(headers.TryGetProperty("x-drop", out _), headers.ToString());
        Assert.Equal("internal.example", headers.GetProperty("host").GetString());
        Assert.Equal("trace-42", headers.GetProperty("x-request-id").GetString());

        Assert.Equal("fastgate edit", response.Header("x-served-by"));
        Assert.False(response.HasHeader("x-upstream"), response.Head);
        Assert.Equal("trace-42", response.Header("x-request-id"));
    }

    [Fact]
    public async Task Get_WithoutRequestId_OneIsMadeSentUpstreamEchoedAndLogged()
    {
        var response = await SendAsync("GET /edit/echo HTTP/1.1\r\nHost: a\r\nX-Request-Id: has a space\r\n\r\n");

        var id = response.Header("x-request-id");
        Assert.NotNull(id);
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, Echo(response).GetProperty("headers").GetProperty("x-request-id").GetString());

        await AccessLogFile.WaitForLineAsync(Path.Combine(fixture.Gateway.Directory, "access.log"), $"\"request_id\":\"{id}\"");
    }

    [Fact]
    public async Task Get_RegexRewrite_SendsTheCapturesUpstreamWithTheQuery()
    {
        var response = await SendAsync("GET /v1/echo?q=2 HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal("/echo", Echo(response).GetProperty("path").GetString());
        Assert.Equal("q=2", Echo(response).GetProperty("query").GetString());
    }

    [Theory]
    [InlineData("HTTP/1.1")]
    [InlineData("HTTP/1.0")]
    public async Task Get_RedirectRoute_AnswersWithTheLocation(string version)
    {
        var response = await SendAsync($"GET /old/page?x=1 {version}\r\nHost: a\r\n\r\n");

        Assert.Equal(301, response.Status);
        Assert.Equal("https://new.example/old/page?x=1", response.Header("location"));
        Assert.Null(response.Header("x-upstream"));
    }

    [Fact]
    public async Task Get_DirectResponse_AnswersTheConfiguredBody()
    {
        var response = await SendAsync("GET /ping HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal("pong\n", response.BodyText);
        Assert.Equal("text/plain; charset=utf-8", response.Header("content-type"));
        Assert.Equal("no-store", response.Header("cache-control"));
        Assert.Null(response.Header("x-upstream"));
    }

    [Fact]
    public async Task Head_DirectResponseAndRedirect_HaveNoBodyAndTheConnectionServesOn()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(Port);
        await connection.SendAsync("HEAD /ping HTTP/1.1\r\nHost: a\r\n\r\nHEAD /old/x HTTP/1.1\r\nHost: a\r\n\r\nGET /ping HTTP/1.1\r\nHost: a\r\n\r\n");

        var head = await connection.ReadResponseAsync(noBody: true);
        var redirect = await connection.ReadResponseAsync(noBody: true);
        var get = await connection.ReadResponseAsync();

        Assert.Equal(200, head.Status);
        Assert.Equal("5", head.Header("content-length"));
        Assert.Equal(301, redirect.Status);
        Assert.Equal("https://new.example/old/x", redirect.Header("location"));
        // A body after either HEAD answer would be read as the start of this one.
        Assert.StartsWith("HTTP/1.1 200 ", get.Head);
        Assert.Equal("pong\n", get.BodyText);
    }

    [Fact]
    public async Task Get_HttpOneZeroDirectResponse_IsAnswered()
    {
        var response = await SendAsync("GET /ping HTTP/1.0\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal("pong\n", response.BodyText);
    }

    [Theory]
    [InlineData("/denied/echo", 403)]
    [InlineData("/tenonly/echo", 403)]
    [InlineData("/loopback/echo", 200)]
    public async Task Get_AddressRules_DecideOnTheClientAddress(string path, int status)
    {
        var response = await SendAsync($"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal(status, response.Status);
        Assert.Equal(status == 200, response.HasHeader("x-upstream"));
    }

    [Fact]
    public async Task Options_AllowedPreflight_IsAnsweredByTheProxy()
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var request = new HttpRequestMessage(HttpMethod.Options, "/cors/echo");
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        request.Headers.Add("Access-Control-Request-Headers", "Content-Type, X-API-Key");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://app.example", Single(response, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, PUT", Single(response, "Access-Control-Allow-Methods"));
        Assert.Equal("content-type, x-api-key", Single(response, "Access-Control-Allow-Headers"));
        Assert.Equal("600", Single(response, "Access-Control-Max-Age"));
        Assert.Equal("true", Single(response, "Access-Control-Allow-Credentials"));
        Assert.False(response.Headers.Contains("x-upstream"));
    }

    [Theory]
    [InlineData("https://evil.example", "PUT")]
    [InlineData("https://app.example", "DELETE")]
    public async Task Options_RefusedPreflight_Is403WithoutCorsFields(string origin, string method)
    {
        using var client = Clients.Http11(fixture.Gateway.BaseUri);
        using var request = new HttpRequestMessage(HttpMethod.Options, "/cors/echo");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("https://app.example", true)]
    [InlineData("https://b.tools.example", true)]
    [InlineData("https://evil.example", false)]
    public async Task Get_CrossOrigin_AllowedOriginsGetCorsFieldsOnTheUpstreamResponse(string origin, bool allowed)
    {
        var response = await SendAsync($"GET /cors/echo HTTP/1.1\r\nHost: a\r\nOrigin: {origin}\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal("/echo", Echo(response).GetProperty("path").GetString());
        Assert.Equal(allowed ? origin : null, response.Header("access-control-allow-origin"));
        Assert.Equal(allowed ? "true" : null, response.Header("access-control-allow-credentials"));
        Assert.Equal(allowed ? "x-request-id" : null, response.Header("access-control-expose-headers"));
        Assert.Contains(response.Headers, h => h.Key.Equals("vary", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("Origin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Options_PreflightWithCurl_IsAnswered()
    {
        var info = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--max-time", "20", "--noproxy", "*", "-sS", "-i", "-X", "OPTIONS",
            "-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: GET", $"http://127.0.0.1:{Port}/cors/echo" })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = await process.StandardOutput.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.Matches(new Regex("^HTTP/1.1 204 ", RegexOptions.Multiline), stdout);
        Assert.Contains("access-control-allow-origin: https://app.example", stdout, StringComparison.OrdinalIgnoreCase);
    }

    private static string? Single(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? Assert.Single(values) : null;
}
