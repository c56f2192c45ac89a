using System.Buffers;
using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Auth;
using static FastGate.Proxy.Tests.Stages.Auth.TestJwt;

namespace FastGate.Proxy.Tests.Stages.Auth;

/// <summary>The auth stage over parsed request heads: who passes, what goes upstream, what a refusal looks like.</summary>
public sealed class AuthStageTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private const string Consumers = """
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"
        [cluster.c]
        endpoints = ["127.0.0.1:9001"]
        [consumer.alice]
        keys = ["alice-key", "alice+key/2"]
        jwt_subject = "alice"
        basic_username = "alice"
        basic_password = "wonder:land"
        [consumer.bob]
        keys = ["bob-key"]
        basic_username = "bob"
        basic_password = "builder"

        """;

    private readonly StringWriter _logText = new();
    private readonly AuthRefusalCounters _counters = new();
    private readonly ManualTimeProvider _time = new(Now);

    private AuthStage Stage(string route)
    {
        var result = ConfigLoader.LoadFromText(Consumers + "[[route]]\nname = \"r\"\ncluster = \"c\"\n" + route, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var model = result.Model.Routes[0];
        var log = new GatewayLog(_logText);
        return new AuthStage(model.Name, model.Auth!, result.Model.ConsumerIndex, _counters, new AuthRefusalLog(log, model.Name, _time), _time);
    }

    private static Exchange Request(string target, params string[] headers) =>
        TestExchange.Create($"GET {target} HTTP/1.1\r\nHost: gw.test\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n", "192.0.2.7");

    private static string Basic(string user, string password) =>
        "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private void AssertRefused(Exchange exchange, StageOutcome outcome, AuthRefusal reason, string challenges)
    {
        Assert.Equal(StageOutcome.Answered, outcome);
        Assert.Equal(401, exchange.LocalStatus);
        Assert.Equal("application/json", Text(exchange.LocalContentType));
        Assert.Contains($"\"code\":\"{AuthRefusalCounters.Name(reason)}\"", Text(exchange.LocalBody));
        Assert.Equal(challenges, TestExchange.FieldsText(exchange.LocalHeaders));
        Assert.Null(exchange.Consumer);
        Assert.Equal(1, _counters[reason]);
    }

    private const string BearerInvalid = "www-authenticate: Bearer realm=\"fastgate\", error=\"invalid_token\"\r\n";
    private const string BearerChallenge = "www-authenticate: Bearer realm=\"fastgate\"\r\n";
    private const string BasicChallenge = "www-authenticate: Basic realm=\"fastgate\", charset=\"UTF-8\"\r\n";

    [Theory]
    [InlineData("Authorization: Bearer alice-key", "authorization")]
    [InlineData("authorization: bearer   alice-key", "authorization")]
    [InlineData("X-Api-Key: alice-key", "x-api-key")]
    [InlineData("x-api-key: alice+key/2", "x-api-key")]
    public void ApiKey_InBearerOrXApiKey_PassesAndIsRemovedUpstream(string header, string removed)
    {
        var exchange = Request("/items", header, "Accept: */*");

        var outcome = Stage("auth = [\"api_key\"]").Authenticate(exchange);

        Assert.Equal(StageOutcome.Continue, outcome);
        Assert.Equal("alice", exchange.Consumer?.Name);
        Assert.True(exchange.UpstreamRequestHeaders.Drops(Encoding.ASCII.GetBytes(removed)));
        Assert.False(exchange.UpstreamRequestHeaders.Drops("accept"u8));
        Assert.False(exchange.IsAnswered);
    }

    [Fact]
    public void ApiKey_InConfiguredHeader_Passes()
    {
        var exchange = Request("/items", "X-Custom: bob-key");

        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"api_key\"]\napi_key_header = \"x-custom\"").Authenticate(exchange));
        Assert.Equal("bob", exchange.Consumer?.Name);
        Assert.True(exchange.UpstreamRequestHeaders.Drops("x-custom"u8));
    }

    [Fact]
    public void ApiKey_InQuery_PassesDecodedAndTheTargetLosesOnlyTheKey()
    {
        var exchange = Request("/items?page=2&key=alice%2Bkey%2F2&sort=asc", "Accept: */*");

        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"api_key\"]\napi_key_query = \"key\"").Authenticate(exchange));
        Assert.Equal("alice", exchange.Consumer?.Name);
        Assert.True(exchange.HasUpstreamTarget);
        Assert.Equal("/items?page=2&sort=asc", Text(exchange.UpstreamTarget));
    }

    [Fact]
    public void ApiKey_AloneInQuery_LeavesNoQuestionMark()
    {
        var exchange = Request("/items?key=bob-key");

        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"api_key\"]\napi_key_query = \"key\"").Authenticate(exchange));
        Assert.Equal("/items", Text(exchange.UpstreamTarget));
    }

    [Fact]
    public void ApiKey_Passing_ClearsEveryCredentialPlaceNotOnlyTheOneThatDecided()
    {
        // x-api-key comes before Bearer and the query, so it decides; the other two are never checked.
        var exchange = Request("/items?key=unchecked", "X-Api-Key: alice-key", "Authorization: Bearer unchecked");

        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"api_key\"]\napi_key_query = \"key\"").Authenticate(exchange));

        Assert.Equal("alice", exchange.Consumer?.Name);
        Assert.True(exchange.UpstreamRequestHeaders.Drops("authorization"u8));
        Assert.True(exchange.UpstreamRequestHeaders.Drops("x-api-key"u8));
        Assert.Equal("/items", Text(exchange.UpstreamTarget));
    }

    [Fact]
    public void ApiKey_ForwardCredentials_KeepsHeaderAndQuery()
    {
        var exchange = Request("/items?key=bob-key", "X-Api-Key: alice-key");

        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"api_key\"]\napi_key_query = \"key\"\nforward_credentials = true").Authenticate(exchange));
        Assert.Equal("alice", exchange.Consumer?.Name);
        Assert.Equal(0, exchange.UpstreamRequestHeaders.Count);
        Assert.False(exchange.HasUpstreamTarget);
    }

    [Theory]
    [InlineData("X-Api-Key: wrong-key")]
    [InlineData("Authorization: Bearer wrong-key")]
    [InlineData("X-Api-Key: Alice-key")]
    public void ApiKey_Wrong_IsRefusedWithBearerChallengeAndNeverLogged(string header)
    {
        var exchange = Request("/items", header);

        var outcome = Stage("auth = [\"api_key\"]").Authenticate(exchange);

        AssertRefused(exchange, outcome, AuthRefusal.UnknownKey, BearerInvalid);
        var log = _logText.ToString();
        Assert.Contains("auth refused: route=r reason=unknown_key client=192.0.2.7", log);
        Assert.DoesNotContain("-key", log);
    }

    [Fact]
    public void ApiKey_WrongInQuery_IsRefused()
    {
        var exchange = Request("/items?key=nope");
        AssertRefused(exchange, Stage("auth = [\"api_key\"]\napi_key_query = \"key\"").Authenticate(exchange), AuthRefusal.UnknownKey, BearerInvalid);
    }

    [Fact]
    public void ApiKey_TwiceInQuery_IsRefusedAsAmbiguous()
    {
        var exchange = Request("/items?key=alice-key&key=bob-key");
        AssertRefused(exchange, Stage("auth = [\"api_key\"]\napi_key_query = \"key\"").Authenticate(exchange), AuthRefusal.Malformed, BearerInvalid);
    }

    [Fact]
    public void ApiKey_RepeatedHeader_IsRefusedAsAmbiguous()
    {
        var exchange = Request("/items", "X-Api-Key: alice-key", "X-Api-Key: bob-key");
        AssertRefused(exchange, Stage("auth = [\"api_key\"]").Authenticate(exchange), AuthRefusal.Malformed, BearerChallenge);
    }

    [Fact]
    public void Missing_IsRefusedWithEveryChallengeOfTheRoute()
    {
        var exchange = Request("/items");
        AssertRefused(exchange, Stage("auth = [\"api_key\", \"basic\"]").Authenticate(exchange), AuthRefusal.Missing, BearerChallenge + BasicChallenge);
    }

    [Theory]
    [InlineData("Authorization: Digest username=\"alice\"")]
    [InlineData("Authorization: Bearer")]
    [InlineData("Authorization: Basic YWxpY2U6d29uZGVyOmxhbmQ=")]
    public void UnreadAuthorization_IsRefusedNotIgnored(string header)
    {
        var exchange = Request("/items", header);
        AssertRefused(exchange, Stage("auth = [\"api_key\"]\nanonymous = true").Authenticate(exchange), AuthRefusal.Malformed, BearerChallenge);
    }

    [Fact]
    public void Anonymous_NoCredential_PassesWithoutConsumer()
    {
        var exchange = Request("/items");

        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"api_key\"]\nanonymous = true").Authenticate(exchange));
        Assert.Null(exchange.Consumer);
        Assert.False(exchange.IsAnswered);
    }

    [Fact]
    public void Anonymous_WrongCredential_IsStillRefused()
    {
        var exchange = Request("/items", "X-Api-Key: wrong");
        AssertRefused(exchange, Stage("auth = [\"api_key\"]\nanonymous = true").Authenticate(exchange), AuthRefusal.UnknownKey, BearerInvalid);
    }

    [Theory]
    [InlineData("alice", "wonder:land", "alice")]
    [InlineData("bob", "builder", "bob")]
    public void Basic_Right_Passes(string user, string password, string consumer)
    {
        var exchange = Request("/items", Basic(user, password));

        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"basic\"]").Authenticate(exchange));
        Assert.Equal(consumer, exchange.Consumer?.Name);
        Assert.True(exchange.UpstreamRequestHeaders.Drops("authorization"u8));
    }

    [Theory]
    [InlineData("alice", "wonder")]
    [InlineData("alice", "builder")]
    [InlineData("carol", "builder")]
    [InlineData("", "")]
    public void Basic_Wrong_IsRefusedWithBasicChallenge(string user, string password)
    {
        var exchange = Request("/items", Basic(user, password));
        AssertRefused(exchange, Stage("auth = [\"basic\"]").Authenticate(exchange), AuthRefusal.BadBasic, BasicChallenge);
        Assert.DoesNotContain(password.Length > 0 ? password : "\u0001", _logText.ToString());
    }

    [Theory]
    [InlineData("Authorization: Basic not*base64")]
    [InlineData("Authorization: Basic YWxpY2U=")]
    public void Basic_Unreadable_IsRefusedAsMalformed(string header)
    {
        var exchange = Request("/items", header);
        AssertRefused(exchange, Stage("auth = [\"basic\"]").Authenticate(exchange), AuthRefusal.Malformed, BasicChallenge);
    }

    [Fact]
    public void Order_FirstMethodWithACredentialDecides()
    {
        var both = Request("/items", Basic("bob", "builder"), "X-Api-Key: alice-key");
        Assert.Equal(StageOutcome.Continue, Stage("auth = [\"basic\", \"api_key\"]").Authenticate(both));
        Assert.Equal("bob", both.Consumer?.Name);

        var wrongFirst = Request("/items", Basic("bob", "builder"), "X-Api-Key: wrong");
        AssertRefused(wrongFirst, Stage("auth = [\"api_key\", \"basic\"]").Authenticate(wrongFirst), AuthRefusal.UnknownKey, BearerInvalid);
    }

    private string JwtRoute(string extra = "") => $$"""
        auth = ["api_key", "jwt"]
        [route.jwt]
        secret = "{{HmacSecret}}"
        audience = "api"
        claims_to_headers = { sub = "x-user-id", email = "x-user-email", level = "x-level", roles = "x-roles" }
        {{extra}}
        """;

    [Fact]
    public void Jwt_Valid_SetsConsumerAndCopiesClaims()
    {
        var token = HmacToken(Now, "\"sub\":\"alice\",\"aud\":\"api\",\"email\":\"a\\u0040example.com\",\"level\":3,\"roles\":[\"x\"]");
        var exchange = Request("/items", "Authorization: Bearer " + token, "X-User-Id: spoofed", "X-Roles: spoofed");

        Assert.Equal(StageOutcome.Continue, Stage(JwtRoute()).Authenticate(exchange));

        Assert.Equal("alice", exchange.Consumer?.Name);
        var upstream = exchange.UpstreamRequestHeaders;
        Assert.True(upstream.TryGetValue("x-user-id"u8, out var id));
        Assert.Equal("alice", Text(id));
        Assert.True(upstream.TryGetValue("x-user-email"u8, out var email));
        Assert.Equal("a@example.com", Text(email));
        Assert.True(upstream.TryGetValue("x-level"u8, out var level));
        Assert.Equal("3", Text(level));
        // An array is not copied, and the client's own value must not get through either.
        Assert.False(upstream.TryGetValue("x-roles"u8, out _));
        Assert.True(upstream.Drops("x-roles"u8));
        Assert.True(upstream.Drops("authorization"u8));
    }

    [Fact]
    public void Jwt_ValidWithUnknownSubject_PassesWithoutConsumer()
    {
        var exchange = Request("/items", "Authorization: Bearer " + HmacToken(Now, "\"sub\":\"mallory\",\"aud\":\"api\""));

        Assert.Equal(StageOutcome.Continue, Stage(JwtRoute()).Authenticate(exchange));
        Assert.Null(exchange.Consumer);
        Assert.True(exchange.UpstreamRequestHeaders.TryGetValue("x-user-id"u8, out var id));
        Assert.Equal("mallory", Text(id));
    }

    [Theory]
    [InlineData("\"email\":\"a@b\\r\\nx-admin: 1\"")]
    [InlineData("\"email\":\"a\\u0000b\"")]
    public void Jwt_ClaimWithControlCharacters_IsRefused(string claim)
    {
        var exchange = Request("/items", "Authorization: Bearer " + HmacToken(Now, "\"sub\":\"alice\",\"aud\":\"api\"," + claim));

        AssertRefused(exchange, Stage(JwtRoute()).Authenticate(exchange), AuthRefusal.BadClaim, BearerInvalid);
        Assert.Contains("reason=bad_claim", _logText.ToString());
    }

    [Fact]
    public void Jwt_Expired_IsRefused()
    {
        var exchange = Request("/items", "Authorization: Bearer " + HmacToken(Now.AddHours(-3), "\"sub\":\"alice\",\"aud\":\"api\""));
        AssertRefused(exchange, Stage(JwtRoute()).Authenticate(exchange), AuthRefusal.Expired, BearerInvalid);
    }

    [Fact]
    public void Jwt_WrongAudience_IsRefused()
    {
        var exchange = Request("/items", "Authorization: Bearer " + HmacToken(Now, "\"sub\":\"alice\",\"aud\":\"other\""));
        AssertRefused(exchange, Stage(JwtRoute()).Authenticate(exchange), AuthRefusal.WrongAudience, BearerInvalid);
    }

    [Fact]
    public void Jwt_Oversized_IsRefused()
    {
        var token = HmacToken(Now, $"\"sub\":\"alice\",\"aud\":\"api\",\"pad\":\"{new string('x', 400)}\"");
        var exchange = Request("/items", "Authorization: Bearer " + token);
        AssertRefused(exchange, Stage(JwtRoute("max_token_bytes = 256")).Authenticate(exchange), AuthRefusal.TokenTooLarge, BearerInvalid);
    }

    [Fact]
    public void Bearer_WithoutJwtShape_IsAnApiKeyOnARouteWithBoth()
    {
        var exchange = Request("/items", "Authorization: Bearer bob-key", "X-User-Id: spoofed");

        Assert.Equal(StageOutcome.Continue, Stage(JwtRoute()).Authenticate(exchange));
        Assert.Equal("bob", exchange.Consumer?.Name);
        Assert.True(exchange.UpstreamRequestHeaders.Drops("x-user-id"u8));
        Assert.False(exchange.UpstreamRequestHeaders.TryGetValue("x-user-id"u8, out _));
    }

    [Fact]
    public void Refusals_AreCountedAndLogLinesRateLimited()
    {
        var stage = Stage("auth = [\"api_key\"]");
        for (var i = 0; i < 5; i++)
        {
            stage.Authenticate(Request("/items", "X-Api-Key: wrong"));
        }
        Assert.Equal(5, _counters[AuthRefusal.UnknownKey]);
        Assert.Single(_logText.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));

        _time.Now = Now.AddSeconds(2);
        stage.Authenticate(Request("/items", "X-Api-Key: wrong"));
        Assert.Contains("; 4 more like it suppressed", _logText.ToString());
    }

    [Fact]
    public void Metrics_RenderRefusalsByReason()
    {
        var metrics = new GatewayMetrics();
        metrics.AuthRefusals.Refused(AuthRefusal.Expired);
        metrics.AuthRefusals.Refused(AuthRefusal.Expired);

        var text = metrics.Render([]);

        Assert.Contains("fastgate_auth_refusals_total{reason=\"expired\"} 2\n", text);
        Assert.Contains("fastgate_auth_refusals_total{reason=\"unknown_key\"} 0\n", text);
    }

    [Fact]
    public void RouteStages_AddTheAuthStageOnlyWhereAuthIsSet()
    {
        var result = ConfigLoader.LoadFromText(Consumers + """
            [[route]]
            name = "open"
            path = "/open"
            cluster = "c"
            [[route]]
            name = "closed"
            cluster = "c"
            auth = ["api_key"]
            """, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var services = new StageServices(new GatewayLog(TextWriter.Null), new GatewayMetrics());

        Assert.Same(StageChain.Empty, RouteStages.Build(result.Model.Routes[0], result.Model, services));
        var chain = RouteStages.Build(result.Model.Routes[1], result.Model, services);
        Assert.IsType<AuthStage>(Assert.Single(chain.Stages));
        Assert.True(chain.HasRequestHead);
    }
}
