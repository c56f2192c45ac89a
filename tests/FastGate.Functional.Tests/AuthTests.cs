using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;
using static FastGate.Functional.Tests.AuthGatewayFixture;

namespace FastGate.Functional.Tests;

/// <summary>
/// Consumers and credentials against the real daemon: what reaches the upstream (its /echo shows
/// the request it got) and what a refused client sees. A refused request must not reach the
/// upstream at all, which the missing x-upstream response header shows.
/// </summary>
public sealed class AuthTests(AuthGatewayFixture fixture) : IClassFixture<AuthGatewayFixture>
{
    private async Task<RawResponse> SendAsync(string target, params string[] headers)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        var head = new StringBuilder($"GET {target} HTTP/1.1\r\nHost: gw.test\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }
        await connection.SendAsync(head.Append("\r\n").ToString());
        return await connection.ReadResponseAsync();
    }

    private JsonElement Echo(RawResponse response)
    {
        Assert.True(response.Status == 200, $"{response.Status}: {response.BodyText}");
        Assert.Equal(fixture.Upstream.Name, response.Header("x-upstream"));
        return JsonDocument.Parse(response.Body).RootElement;
    }

    private static bool HasHeader(JsonElement echo, string name) => echo.GetProperty("headers").TryGetProperty(name, out _);

    private static string? Header(JsonElement echo, string name) =>
        echo.GetProperty("headers").TryGetProperty(name, out var value) ? value.GetString() : null;

    private void AssertRefused(RawResponse response, string code, string challenge)
    {
        Assert.Equal(401, response.Status);
        Assert.Null(response.Header("x-upstream"));
        Assert.Equal(challenge, response.Header("www-authenticate"));
        Assert.StartsWith("application/json", response.Header("content-type"));
        var error = JsonDocument.Parse(response.Body).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("authentication_error", error.GetProperty("type").GetString());
    }

    private const string InvalidToken = "Bearer realm=\"fastgate\", error=\"invalid_token\"";

    private static string B64(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string Claims(DateTimeOffset expires, string extra) => $"{{\"exp\":{expires.ToUnixTimeSeconds()},{extra}}}";

    private static string Sign(string header, string claims, Func<byte[], byte[]> signer)
    {
        var input = B64(header) + "." + B64(claims);
        return input + "." + Base64Url.EncodeToString(signer(Encoding.ASCII.GetBytes(input)));
    }

    private static byte[] Hs256(byte[] data) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(JwtSecret), data);

    private static string HsToken(string extra, DateTimeOffset? expires = null) =>
        Sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", Claims(expires ?? DateTimeOffset.UtcNow.AddHours(1), extra), Hs256);

    private const string AliceClaims = "\"iss\":\"https://issuer.test\",\"aud\":\"api\",\"sub\":\"alice\",\"email\":\"alice@example.com\"";

    [Theory]
    [InlineData("Authorization: Bearer " + AliceKey, "authorization")]
    [InlineData("X-Api-Key: " + AliceKey, "x-api-key")]
    [InlineData("X-Api-Key: " + BobKey, "x-api-key")]
    public async Task ApiKey_InHeader_ReachesUpstreamWithoutTheKey(string header, string name)
    {
        var echo = Echo(await SendAsync("/keys/echo?a=1", header, "X-Other: kept"));

        Assert.Equal("/echo", echo.GetProperty("path").GetString());
        Assert.False(HasHeader(echo, name), $"the credential header reached the upstream: {echo}");
        Assert.Equal("kept", Header(echo, "x-other"));
        Assert.DoesNotContain(AliceKey, echo.ToString());
    }

    [Fact]
    public async Task ApiKey_InQuery_ReachesUpstreamWithTheRestOfTheQuery()
    {
        var echo = Echo(await SendAsync($"/keys/echo?a=1&key={AliceKey}&b=2"));

        Assert.Equal("/echo", echo.GetProperty("path").GetString());
        Assert.Equal("a=1&b=2", echo.GetProperty("query").GetString());
    }

    [Theory]
    [InlineData("X-Api-Key: not-a-key")]
    [InlineData("Authorization: Bearer not-a-key")]
    public async Task ApiKey_Wrong_Is401WithChallenge(string header) =>
        AssertRefused(await SendAsync("/keys/echo", header), "unknown_key", InvalidToken);

    [Fact]
    public async Task ApiKey_WrongInQuery_Is401() =>
        AssertRefused(await SendAsync("/keys/echo?key=not-a-key"), "unknown_key", InvalidToken);

    [Fact]
    public async Task ApiKey_Missing_Is401WithChallenge() =>
        AssertRefused(await SendAsync("/keys/echo"), "missing", "Bearer realm=\"fastgate\"");

    [Fact]
    public async Task Anonymous_NoCredential_Passes()
    {
        var echo = Echo(await SendAsync("/anon/echo"));
        Assert.Equal("/echo", echo.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Anonymous_WrongCredential_IsStill401() =>
        AssertRefused(await SendAsync("/anon/echo", "X-Api-Key: not-a-key"), "unknown_key", InvalidToken);

    [Fact]
    public async Task Anonymous_RightKey_Passes()
    {
        var echo = Echo(await SendAsync("/anon/echo", "X-Api-Key: " + BobKey));
        Assert.False(HasHeader(echo, "x-api-key"));
    }

    [Fact]
    public async Task Jwt_Valid_ReachesUpstreamWithClaimsAsHeadersAndNoToken()
    {
        var token = HsToken(AliceClaims);

        var echo = Echo(await SendAsync("/hs/echo", "Authorization: Bearer " + token, "X-User-Id: spoofed-by-client"));

        Assert.Equal("alice", Header(echo, "x-user-id"));
        Assert.Equal("alice@example.com", Header(echo, "x-user-email"));
        Assert.False(HasHeader(echo, "authorization"));
        Assert.DoesNotContain("spoofed-by-client", echo.ToString());
    }

    [Fact]
    public async Task Jwt_WithoutClaimsTheClientSent_DropsTheClientsHeaders()
    {
        var echo = Echo(await SendAsync("/hs/echo",
            "Authorization: Bearer " + HsToken("\"iss\":\"https://issuer.test\",\"aud\":\"api\",\"sub\":\"svc\""),
            "X-User-Email: admin@example.com"));

        Assert.Equal("svc", Header(echo, "x-user-id"));
        Assert.False(HasHeader(echo, "x-user-email"));
    }

    [Fact]
    public async Task Jwt_Expired_Is401() =>
        AssertRefused(await SendAsync("/hs/echo", "Authorization: Bearer " + HsToken(AliceClaims, DateTimeOffset.UtcNow.AddHours(-1))),
            "expired", InvalidToken);

    [Fact]
    public async Task Jwt_WrongAudience_Is401() =>
        AssertRefused(await SendAsync("/hs/echo", "Authorization: Bearer " + HsToken("\"iss\":\"https://issuer.test\",\"aud\":\"other\",\"sub\":\"alice\"")),
            "wrong_audience", InvalidToken);

    [Fact]
    public async Task Jwt_WrongIssuer_Is401() =>
        AssertRefused(await SendAsync("/hs/echo", "Authorization: Bearer " + HsToken("\"iss\":\"https://evil.test\",\"aud\":\"api\",\"sub\":\"alice\"")),
            "wrong_issuer", InvalidToken);

    [Fact]
    public async Task Jwt_BadSignature_Is401()
    {
        var token = Sign("{\"alg\":\"HS256\"}", Claims(DateTimeOffset.UtcNow.AddHours(1), AliceClaims),
            data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(JwtSecret + "-guess"), data));
        AssertRefused(await SendAsync("/hs/echo", "Authorization: Bearer " + token), "bad_signature", InvalidToken);
    }

    [Fact]
    public async Task Jwt_AlgNone_Is401()
    {
        var unsigned = B64("{\"alg\":\"none\"}") + "." + B64(Claims(DateTimeOffset.UtcNow.AddHours(1), AliceClaims)) + ".";
        AssertRefused(await SendAsync("/hs/echo", "Authorization: Bearer " + unsigned), "alg_not_allowed", InvalidToken);
        AssertRefused(await SendAsync("/rs/echo", "Authorization: Bearer " + unsigned), "alg_not_allowed", InvalidToken);
    }

    [Fact]
    public async Task Jwt_Rs256_Passes()
    {
        var token = Sign("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", Claims(DateTimeOffset.UtcNow.AddHours(1), "\"aud\":[\"admin\"],\"sub\":\"alice\""),
            data => fixture.Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        var echo = Echo(await SendAsync("/rs/echo", "Authorization: Bearer " + token));
        Assert.False(HasHeader(echo, "authorization"));
    }

    /// <summary>An HS256 token whose HMAC secret is the route's RSA public key, which anyone can fetch.</summary>
    [Fact]
    public async Task Jwt_HsSignedWithTheRsaPublicKey_Is401()
    {
        var publicPem = Encoding.ASCII.GetBytes(fixture.Rsa.ExportSubjectPublicKeyInfoPem());
        var token = Sign("{\"alg\":\"HS256\"}", Claims(DateTimeOffset.UtcNow.AddHours(1), "\"aud\":\"api\",\"sub\":\"alice\""),
            data => HMACSHA256.HashData(publicPem, data));

        AssertRefused(await SendAsync("/rs/echo", "Authorization: Bearer " + token), "alg_not_allowed", InvalidToken);
    }

    [Fact]
    public async Task Basic_Right_PassesWithoutTheCredential()
    {
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + AlicePassword));
        var echo = Echo(await SendAsync("/basic/echo", "Authorization: Basic " + credentials));
        Assert.False(HasHeader(echo, "authorization"));
    }

    [Fact]
    public async Task Basic_WrongPassword_Is401WithBasicChallenge()
    {
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonder"));
        AssertRefused(await SendAsync("/basic/echo", "Authorization: Basic " + credentials), "bad_basic",
            "Basic realm=\"fastgate\", charset=\"UTF-8\"");
    }

    [Fact]
    public async Task OpenRoute_ForwardsAuthorizationUntouched()
    {
        var echo = Echo(await SendAsync("/echo", "Authorization: Bearer for-the-upstream"));
        Assert.Equal("Bearer for-the-upstream", Header(echo, "authorization"));
    }

    [Fact]
    public async Task Refusals_AreCountedByReasonInMetrics()
    {
        var before = FastGateProcess.Metric(await fixture.Gateway.MetricsAsync(), "fastgate_auth_refusals_total{reason=\"unknown_key\"}");

        await SendAsync("/keys/echo", "X-Api-Key: nope-1");
        await SendAsync("/keys/echo", "X-Api-Key: nope-2");

        var after = FastGateProcess.Metric(await fixture.Gateway.MetricsAsync(), "fastgate_auth_refusals_total{reason=\"unknown_key\"}");
        Assert.Equal(before + 2, after);
    }

    [Fact]
    public async Task Refusals_AreLoggedWithoutTheCredential()
    {
        await SendAsync("/keys/echo", "X-Api-Key: secret-guess-that-must-not-be-logged");

        await fixture.Gateway.Process.WaitForLineAsync(l => l.Contains("auth refused: route=keys", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("secret-guess-that-must-not-be-logged", fixture.Gateway.Process.Stderr + fixture.Gateway.Process.Stdout);
    }

    [Fact]
    public async Task AdminConfig_ShowsNoKeyOrSecret()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var config = JsonDocument.Parse(await fixture.Gateway.Admin.GetStringAsync("/config", cts.Token)).RootElement.GetProperty("config").GetString()!;

        Assert.Contains("keys = \"[redacted]\"", config);
        Assert.DoesNotContain(BobKey, config);
        Assert.DoesNotContain("FASTGATE_TEST_JWT_SECRET", config);
        Assert.DoesNotContain("FASTGATE_TEST_ALICE_PASSWORD", config);
    }

    [Fact]
    public async Task Reload_NewKeysTakeEffectAndRemovedOnesStop()
    {
        static string Carol(string key) => $"[consumer.carol]\nkeys = [\"{key}\"]";
        await using var gateway = await FastGateProcess.StartAsync(KeysConfig(Carol("carol-old-key")));
        Task<int> StatusAsync(string key) => AuthTests.StatusAsync(gateway, key);
        Assert.Equal(200, await StatusAsync("carol-old-key"));
        Assert.Equal(401, await StatusAsync("carol-new-key"));

        gateway.WriteConfig(KeysConfig(Carol("carol-new-key")));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var reload = await gateway.Admin.PostAsync("/reload", null, cts.Token);
        Assert.Equal(200, (int)reload.StatusCode);

        Assert.Equal(401, await StatusAsync("carol-old-key"));
        Assert.Equal(200, await StatusAsync("carol-new-key"));
    }

    /// <summary>A daemon of its own with these consumers and one route that takes their API keys.</summary>
    private Task<FastGateProcess> StartKeysGatewayAsync(string consumers, string access = "off") =>
        FastGateProcess.StartAsync(KeysConfig(consumers, access));

    private string KeysConfig(string consumers, string access = "off") => $$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "{{access}}"
            [[listener]]
            name = "web"
            listen = "{listen}"
            {{consumers}}
            [[route]]
            name = "keys"
            path_prefix = "/"
            cluster = "mock"
            auth = ["api_key"]
            [cluster.mock]
            endpoints = ["{{fixture.Upstream.Address}}"]
            """;

    private static async Task<int> StatusAsync(FastGateProcess gateway, string? key, string target = "/echo")
    {
        await using var connection = await RawHttpConnection.ConnectAsync(gateway.Port);
        var credential = key is null ? "" : $"X-Api-Key: {key}\r\n";
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: gw.test\r\n{credential}\r\n");
        return (await connection.ReadResponseAsync()).Status;
    }

    /// <summary>Auth runs before the rate limits, so a consumer's own limit counts that consumer only.</summary>
    [Fact]
    public async Task ConsumerLimit_CountsTheConsumerTheKeyNamed()
    {
        await using var gateway = await StartKeysGatewayAsync("""
            [consumer.dave]
            keys = ["dave-key"]
            [consumer.dave.limits]
            requests_per_minute = 2
            [consumer.erin]
            keys = ["erin-key"]
            """);

        Assert.Equal(200, await StatusAsync(gateway, "dave-key"));
        Assert.Equal(200, await StatusAsync(gateway, "dave-key"));
        Assert.Equal(429, await StatusAsync(gateway, "dave-key"));
        Assert.Equal(200, await StatusAsync(gateway, "erin-key"));
        Assert.Equal(401, await StatusAsync(gateway, "nobody-key"));
    }

    [Fact]
    public async Task Consumer_IsInTheAccessLogAndTheMetrics()
    {
        await using var gateway = await StartKeysGatewayAsync("""
            [consumer.frank]
            keys = ["frank-key"]
            """, access: "access.log");

        Assert.Equal(200, await StatusAsync(gateway, "frank-key", "/echo?who=frank"));
        Assert.Equal(401, await StatusAsync(gateway, null, "/echo?who=nobody"));

        var log = Path.Combine(gateway.Directory, "access.log");
        Assert.Equal("frank", (await AccessLogFile.WaitForEntryAsync(log, "who=frank")).GetProperty("consumer").GetString());
        Assert.Equal("", (await AccessLogFile.WaitForEntryAsync(log, "who=nobody")).GetProperty("consumer").GetString());
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_consumer_requests_total{consumer=\"frank\",code=\"2xx\"}"));
    }
}
