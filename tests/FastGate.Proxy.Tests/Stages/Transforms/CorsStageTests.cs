using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Tests.Stages.Transforms;

public class CorsStageTests
{
    private static readonly CorsModel Policy = new()
    {
        AllowOrigins = ["https://app.example", "https://*.tools.example"],
        AllowMethods = ["GET", "POST", "DELETE"],
        AllowHeaders = ["content-type", "x-api-key"],
        ExposeHeaders = ["x-request-id"],
        MaxAge = TimeSpan.FromMinutes(10),
        AllowCredentials = true,
    };

    private static Exchange Preflight(CorsModel model, string origin, string method, string? headers, out StageOutcome outcome)
    {
        var exchange = TestExchange.Create(
            "OPTIONS /api/items HTTP/1.1\r\nHost: api.example\r\n" +
            $"Origin: {origin}\r\nAccess-Control-Request-Method: {method}\r\n" +
            (headers is null ? "" : $"Access-Control-Request-Headers: {headers}\r\n") + "\r\n");
        outcome = TestExchange.RunRequestHead(new CorsStage(model), exchange);
        return exchange;
    }

    private static Exchange Actual(CorsModel model, string? origin, out StageOutcome outcome)
    {
        var exchange = TestExchange.Get("/api/items", origin is null ? "" : $"Origin: {origin}\r\n");
        outcome = TestExchange.RunRequestHead(new CorsStage(model), exchange);
        return exchange;
    }

    [Fact]
    public void Preflight_Allowed_Answers204WithThePolicy()
    {
        var exchange = Preflight(Policy, "https://app.example", "DELETE", "Content-Type, X-API-Key", out var outcome);

        Assert.Equal(StageOutcome.Answered, outcome);
        Assert.Equal(204, exchange.LocalStatus);
        var headers = exchange.LocalHeaders;
        Assert.Equal("https://app.example", TestExchange.Value(headers, "access-control-allow-origin"));
        Assert.Equal("GET, POST, DELETE", TestExchange.Value(headers, "access-control-allow-methods"));
        Assert.Equal("content-type, x-api-key", TestExchange.Value(headers, "access-control-allow-headers"));
        Assert.Equal("600", TestExchange.Value(headers, "access-control-max-age"));
        Assert.Equal("true", TestExchange.Value(headers, "access-control-allow-credentials"));
        Assert.StartsWith("Origin", TestExchange.Value(headers, "vary"));
    }

    [Theory]
    [InlineData("https://evil.example", "GET", null)]
    [InlineData("http://app.example", "GET", null)]
    [InlineData("https://app.example", "PUT", null)]
    [InlineData("https://app.example", "get", null)]
    [InlineData("https://app.example", "GET", "content-type, x-other")]
    [InlineData("https://tools.example", "GET", null)]
    [InlineData("https://a.tools.example.evil", "GET", null)]
    public void Preflight_NotAllowed_Answers403WithoutCorsFields(string origin, string method, string? headers)
    {
        var exchange = Preflight(Policy, origin, method, headers, out var outcome);

        Assert.Equal(StageOutcome.Answered, outcome);
        Assert.Equal(403, exchange.LocalStatus);
        Assert.Null(TestExchange.Value(exchange.LocalHeaders, "access-control-allow-origin"));
        Assert.Null(TestExchange.Value(exchange.LocalHeaders, "access-control-allow-methods"));
    }

    [Theory]
    [InlineData("https://a.tools.example")]
    [InlineData("https://deep.a.tools.example")]
    [InlineData("HTTPS://App.Example")]
    public void Actual_AllowedOrigin_GetsTheOriginBackWithVary(string origin)
    {
        var exchange = Actual(Policy, origin, out var outcome);

        Assert.Equal(StageOutcome.Continue, outcome);
        var headers = exchange.ResponseHeaders;
        Assert.Equal(origin, TestExchange.Value(headers, "access-control-allow-origin"));
        Assert.Equal("true", TestExchange.Value(headers, "access-control-allow-credentials"));
        Assert.Equal("x-request-id", TestExchange.Value(headers, "access-control-expose-headers"));
        Assert.Equal("Origin", TestExchange.Value(headers, "vary"));
        Assert.False(exchange.IsAnswered);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData(null)]
    public void Actual_OtherOrNoOrigin_GetsNoCorsFieldsButVary(string? origin)
    {
        var exchange = Actual(Policy, origin, out var outcome);

        Assert.Equal(StageOutcome.Continue, outcome);
        Assert.Equal(["vary: Origin"], TestExchange.Fields(exchange.ResponseHeaders));
    }

    [Fact]
    public void Actual_AnyOriginWithoutCredentials_GetsStarAndNoVary()
    {
        var exchange = Actual(new CorsModel { AllowOrigins = ["*"] }, "https://whoever.example", out _);

        Assert.Equal(["access-control-allow-origin: *"], TestExchange.Fields(exchange.ResponseHeaders));
    }

    [Fact]
    public void Preflight_AnyHeader_EchoesTheRequestedOnes()
    {
        var exchange = Preflight(new CorsModel { AllowOrigins = ["*"], AllowHeaders = ["*"] }, "https://x.example", "POST", "x-one, x-two", out _);

        Assert.Equal(204, exchange.LocalStatus);
        Assert.Equal("*", TestExchange.Value(exchange.LocalHeaders, "access-control-allow-origin"));
        Assert.Equal("x-one, x-two", TestExchange.Value(exchange.LocalHeaders, "access-control-allow-headers"));
        Assert.Null(TestExchange.Value(exchange.LocalHeaders, "access-control-max-age"));
    }

    [Fact]
    public void Options_WithoutRequestMethod_IsAnActualRequest()
    {
        var exchange = TestExchange.Create("OPTIONS /api HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n");

        Assert.Equal(StageOutcome.Continue, TestExchange.RunRequestHead(new CorsStage(Policy), exchange));
        Assert.Equal("https://app.example", TestExchange.Value(exchange.ResponseHeaders, "access-control-allow-origin"));
    }
}
