using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// The downstream HTTP/2 front with real clients: HttpClient (HTTP/2 only, h2c and TLS), curl and
/// nghttp, through the daemon to the mock upstream.
/// </summary>
[Collection(Http2GatewayCollection.Name)]
public sealed class Http2FrontTests(Http2GatewayFixture fixture)
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task H2c_Get_IsServedOverHttp2()
    {
        using var client = fixture.H2cClient();

        using var response = await client.GetAsync("/mock/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("Hello World!", await response.Content.ReadAsStringAsync());
        Assert.Equal("h2-upstream", response.Headers.GetValues("x-upstream").Single());
    }

    [Fact]
    public async Task AccessLog_SaysWhichProtocolEachClientSpoke()
    {
        var log = Path.Combine(fixture.Gateway.Directory, "access.log");
        using (var h2 = fixture.H2cClient())
        using (var response = await h2.GetAsync("/mock/?tag=logged-h2"))
        {
            Assert.Equal(HttpVersion.Version20, response.Version);
        }
        using (var h1 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.Gateway.Port}") })
        using (var response = await h1.GetAsync("/mock/?tag=logged-h1"))
        {
            Assert.Equal(HttpVersion.Version11, response.Version);
        }

        var overHttp2 = await AccessLogFile.WaitForEntryAsync(log, "logged-h2");
        var overHttp1 = await AccessLogFile.WaitForEntryAsync(log, "logged-h1");

        Assert.Equal("HTTP/2.0", overHttp2.GetProperty("protocol").GetString());
        Assert.Equal(200, overHttp2.GetProperty("status").GetInt32());
        Assert.Equal("HTTP/1.1", overHttp1.GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task H2c_PostWithContentLength_UpstreamGetsTheBody()
    {
        using var client = fixture.H2cClient();
        var body = RandomNumberGenerator.GetBytes(300_000);

        using var response = await client.PostAsync("/mock/echo", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await JsonAsync(response);
        Assert.Equal(body.Length, echo.GetProperty("body_length").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), echo.GetProperty("body_sha256").GetString());
        Assert.Equal("300000", echo.GetProperty("headers").GetProperty("content-length").GetString());
    }

    [Fact]
    public async Task H2c_PostWithoutLength_UpstreamGetsTheBodyChunked()
    {
        using var client = fixture.H2cClient();
        var body = RandomNumberGenerator.GetBytes(2_500_000);
        var content = new StreamContent(new UnknownLengthStream(body));

        using var response = await client.PostAsync("/mock/echo", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await JsonAsync(response);
        Assert.Equal(body.Length, echo.GetProperty("body_length").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), echo.GetProperty("body_sha256").GetString());
        Assert.Equal("chunked", echo.GetProperty("headers").GetProperty("transfer-encoding").GetString());
    }

    [Theory]
    [InlineData("/mock/bytes/8000000")]
    [InlineData("/mock/chunked/6000000")]
    public async Task H2c_LargeResponse_ArrivesWholeWithinTheWindows(string path)
    {
        using var client = fixture.H2cClient();

        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(long.Parse(path[(path.LastIndexOf('/') + 1)..]), body.Length);
    }

    [Fact]
    public async Task H2c_ConcurrentLargeResponses_AllArriveWholeOnOneConnection()
    {
        // Together far past the output the connection queues before its pumps wait for the
        // writer: each stream that stopped there must be woken again once the output drained.
        using var client = fixture.H2cClient();
        (await client.GetAsync("/mock/")).Dispose();

        var lengths = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var path = i % 2 == 0 ? "/mock/bytes/3000000" : "/mock/chunked/3000000";
            using var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsByteArrayAsync();
            return (response.StatusCode, response.Version, body.Length);
        }));

        Assert.All(lengths, r => Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20, 3000000), r));
    }

    [Fact]
    public async Task H2c_ManyConcurrentStreams_AllAnsweredOnOneConnection()
    {
        using var client = fixture.H2cClient();
        var before = FastGateProcess.Metric(await fixture.Gateway.MetricsAsync(), "fastgate_http2_streams_total{listener=\"web\"}");
        // One request first, so the rest find the connection open and multiplex on it.
        (await client.GetAsync("/mock/")).Dispose();

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var response = await client.GetAsync($"/mock/echo?i={i}");
            var echo = await JsonAsync(response);
            return (response.StatusCode, response.Version, Query: echo.GetProperty("query").GetString());
        }));

        Assert.All(responses, r => Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (r.StatusCode, r.Version)));
        Assert.Equal(200, responses.Select(r => r.Query).Distinct().Count());
        var after = FastGateProcess.Metric(await fixture.Gateway.MetricsAsync(), "fastgate_http2_streams_total{listener=\"web\"}");
        Assert.True(after - before >= 201, $"streams counted: {after - before}");
    }

    [Fact]
    public async Task H2c_RequestHeaders_AreTranslatedForTheHttp1Upstream()
    {
        using var client = fixture.H2cClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mock/echo");
        request.Headers.Add("x-custom", "kept");
        request.Headers.TryAddWithoutValidation("cookie", "a=1");

        using var response = await client.SendAsync(request);

        var headers = (await JsonAsync(response)).GetProperty("headers");
        Assert.Equal($"127.0.0.1:{fixture.Gateway.Port}", headers.GetProperty("host").GetString());
        Assert.Equal("kept", headers.GetProperty("x-custom").GetString());
        Assert.Equal("a=1", headers.GetProperty("cookie").GetString());
        Assert.Equal("127.0.0.1", headers.GetProperty("x-forwarded-for").GetString());
        Assert.Equal("http", headers.GetProperty("x-forwarded-proto").GetString());
    }

    [Fact]
    public async Task Nghttp_CookieCrumbs_ReachTheUpstreamJoined()
    {
        var (exit, output) = await RunAsync("nghttp", "-H", "cookie: a=1", "-H", "cookie: b=2", $"http://127.0.0.1:{fixture.Gateway.Port}/mock/echo");

        Assert.Equal(0, exit);
        var headers = JsonDocument.Parse(output).RootElement.GetProperty("headers");
        Assert.Equal("a=1; b=2", headers.GetProperty("cookie").GetString());
    }

    [Fact]
    public async Task H2c_RouteMatchedOnMethodAndField_EditsTheForwardedHead()
    {
        using var client = fixture.H2cClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/edits/echo?q=1") { Content = new StringContent("body") };
        request.Headers.Add("x-canary", "1");
        request.Headers.Add("x-drop", "gone");
        request.Headers.Add("x-set", "from-client");
        request.Headers.TryAddWithoutValidation("cookie", "a=1");
        using var unmatched = new HttpRequestMessage(HttpMethod.Post, "/edits/echo") { Content = new StringContent("body") };

        using var response = await client.SendAsync(request);
        using var notRouted = await client.SendAsync(unmatched);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await JsonAsync(response);
        Assert.Equal("/echo", echo.GetProperty("path").GetString());
        Assert.Equal("q=1", echo.GetProperty("query").GetString());
        var headers = echo.GetProperty("headers");
        Assert.Equal("by-route", headers.GetProperty("x-set").GetString());
        Assert.Equal("127.0.0.1", headers.GetProperty("x-added").GetString());
        Assert.False(headers.TryGetProperty("x-drop", out _));
        Assert.Equal("a=1", headers.GetProperty("cookie").GetString());
        Assert.Equal($"127.0.0.1:{fixture.Gateway.Port}", headers.GetProperty("host").GetString());
        Assert.Equal(HttpStatusCode.NotFound, notRouted.StatusCode);
    }

    [Fact]
    public async Task H2c_RouteStages_AnswerOverHttp2()
    {
        using var client = fixture.H2cClient();

        using var unauthorized = await client.GetAsync("/keys/");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/keys/");
        request.Headers.Add("x-api-key", Http2GatewayFixture.Key);
        using var authorized = await client.SendAsync(request);
        using var first = await client.GetAsync("/limited/");
        using var limited = await client.GetAsync("/limited/");

        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(HttpVersion.Version20, limited.Version);
    }

    [Fact]
    public async Task H2c_NoRouteAndDeadUpstream_Answer404And502()
    {
        using var client = fixture.H2cClient();

        using var noRoute = await client.GetAsync("/nowhere");
        using var dead = await client.GetAsync("/dead/");

        Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, dead.StatusCode);
        Assert.Equal(HttpVersion.Version20, dead.Version);
    }

    [Fact]
    public async Task H2cListener_Http11Client_IsStillServed()
    {
        using var client = new HttpClient { BaseAddress = fixture.Gateway.BaseUri, DefaultRequestVersion = HttpVersion.Version11 };

        using var response = await client.GetAsync("/mock/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal("Hello World!", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tls_AlpnH2_HttpClientGetsHttp2()
    {
        using var client = fixture.H2Client();

        using var get = await client.GetAsync("/mock/echo");
        var body = RandomNumberGenerator.GetBytes(100_000);
        using var post = await client.PostAsync("/mock/echo", new ByteArrayContent(body));

        Assert.Equal(HttpVersion.Version20, get.Version);
        var headers = (await JsonAsync(get)).GetProperty("headers");
        Assert.Equal("https", headers.GetProperty("x-forwarded-proto").GetString());
        Assert.Equal(body.Length, (await JsonAsync(post)).GetProperty("body_length").GetInt32());
    }

    [Fact]
    public async Task Tls_LargeResponse_ArrivesWhole()
    {
        using var client = fixture.H2Client();

        var body = await client.GetByteArrayAsync("/mock/bytes/5000000");

        Assert.Equal(5_000_000, body.Length);
    }

    [Fact]
    public async Task Curl_PriorKnowledgeAndAlpn_ReportHttp2()
    {
        var (plainExit, plain) = await RunAsync("curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
            $"http://127.0.0.1:{fixture.Gateway.Port}/mock/");
        var (tlsExit, tls) = await RunAsync("curl", "-sS", "--http2", "--cacert", fixture.Pki.CaPath, "--resolve", $"a.test:{fixture.Gateway.Port2}:127.0.0.1",
            "-o", "/dev/null", "-w", "%{http_version} %{http_code}", $"https://a.test:{fixture.Gateway.Port2}/mock/");

        Assert.Equal((0, "2 200"), (plainExit, plain));
        Assert.Equal((0, "2 200"), (tlsExit, tls));
    }

    [Fact]
    public async Task Nghttp_Verbose_SeesSettingsHeadersAndData()
    {
        var (exit, output) = await RunAsync("nghttp", "-nv", $"http://127.0.0.1:{fixture.Gateway.Port}/mock/");

        Assert.Equal(0, exit);
        Assert.Contains("recv SETTINGS frame", output);
        Assert.Contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128", output);
        Assert.Contains(":status: 200", output);
        Assert.Contains("recv DATA frame <length=12, flags=0x01", output);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A body stream that does not say its length, so the client sends no content-length.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
