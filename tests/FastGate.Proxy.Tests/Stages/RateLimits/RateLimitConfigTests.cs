using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Stages.RateLimits;

/// <summary>[rate_limit] and a route's rate_limit and concurrency_limit, read and refused.</summary>
public class RateLimitConfigTests
{
    private const string Head = """
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [cluster.c]
        endpoints = ["127.0.0.1:9001"]

        """;

    private static ConfigModel Load(string text)
    {
        var result = ConfigLoader.LoadFromText(Head + text, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Model!;
    }

    /// <summary>Errors as "LINE:COL: message", lines counted in <paramref name="text"/> (after the common head).</summary>
    private static string[] Errors(string text)
    {
        var result = ConfigLoader.LoadFromText(Head + text, "test.toml");
        Assert.False(result.IsValid);
        var headLines = Head.Split('\n').Length - 1;
        return result.Errors.Select(e => $"{e.Line - headLines}:{e.Column}: {e.Message}").ToArray();
    }

    [Fact]
    public void NoRateLimitTable_DefaultsToLocal()
    {
        var model = Load("""
            [[route]]
            name = "api"
            cluster = "c"
            """);
        Assert.Equal(RateLimitBackendKind.Local, model.RateLimit.Backend);
        Assert.Equal(RateLimitErrorAction.Local, model.RateLimit.OnBackendError);
        Assert.False(model.RateLimit.ResponseHeaders);
        Assert.Empty(model.Routes[0].RateLimits);
        Assert.Empty(model.Routes[0].ConcurrencyLimits);
    }

    [Fact]
    public void EveryKey_IsRead()
    {
        var model = Load("""
            [rate_limit]
            backend = "redis"
            redis = "127.0.0.1:6379"
            on_backend_error = "deny"
            key_prefix = "edge:"
            timeout = "100ms"
            response_headers = true

            [[route]]
            name = "api"
            cluster = "c"
            rate_limit = { requests = 100, per = "1m", key = "consumer" }
            concurrency_limit = { max = 10, key = "client" }

            [[route]]
            name = "two"
            cluster = "c"
            rate_limit = [
              { requests = 10, per = "1s", key = "header:X-Tenant" },
              { requests = 1000, per = "1h", key = "route" },
            ]
            """);
        var rl = model.RateLimit;
        Assert.Equal(RateLimitBackendKind.Redis, rl.Backend);
        Assert.Equal("127.0.0.1:6379", rl.Redis);
        Assert.Equal(RateLimitErrorAction.Deny, rl.OnBackendError);
        Assert.Equal("edge:", rl.KeyPrefix);
        Assert.Equal(TimeSpan.FromMilliseconds(100), rl.Timeout);
        Assert.True(rl.ResponseHeaders);

        var api = model.Routes[0];
        var limit = Assert.Single(api.RateLimits);
        Assert.Equal(100, limit.Requests);
        Assert.Equal(TimeSpan.FromMinutes(1), limit.Per);
        Assert.Equal(RateLimitKeyKind.Consumer, limit.Key);
        var concurrency = Assert.Single(api.ConcurrencyLimits);
        Assert.Equal(10, concurrency.Max);
        Assert.Equal(RateLimitKeyKind.Client, concurrency.Key);

        var two = model.Routes[1];
        Assert.Equal(2, two.RateLimits.Count);
        Assert.Equal(RateLimitKeyKind.Header, two.RateLimits[0].Key);
        Assert.Equal("x-tenant", two.RateLimits[0].HeaderName);
        Assert.Equal(RateLimitKeyKind.Route, two.RateLimits[1].Key);
        Assert.Equal("1000/3600000ms/route", two.RateLimits[1].Definition);
    }

    [Fact]
    public void ShippedExample_Loads_WithItsLimits()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root!.FullName, "FastGate.sln")))
        {
            root = root.Parent;
        }
        var result = ConfigLoader.Load(Path.Combine(root.FullName, "configs", "examples", "rate-limits.toml"));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(RateLimitBackendKind.Redis, result.Model!.RateLimit.Backend);
        Assert.Single(result.Model.Routes[0].RateLimits);
        Assert.Single(result.Model.Routes[0].ConcurrencyLimits);
        Assert.Equal(2, result.Model.Routes[1].RateLimits.Count);
    }

    [Fact]
    public void RedisBackend_WithoutAddress_IsAnErrorAtBackend()
    {
        Assert.Equal(["2:11: backend = \"redis\" needs the server's address: set 'redis' in [rate_limit] (e.g. redis = \"127.0.0.1:6379\")"], Errors("""
            [rate_limit]
            backend = "redis"
            """));
    }

    [Fact]
    public void BadValuesInRateLimitTable_AreReportedAtTheirValues()
    {
        Assert.Equal(
        [
            "2:11: invalid value 'redi' for 'backend'; did you mean 'redis'? expected one of: local, redis",
            "3:9: invalid address 'no port': missing port (expected host:port) for 'redis'",
            "4:20: invalid value 'open' for 'on_backend_error'; expected one of: local, deny",
            "5:1: unknown key 'prefix' in [rate_limit]",
        ], Errors("""
            [rate_limit]
            backend = "redi"
            redis = "no port"
            on_backend_error = "open"
            prefix = "x"
            """));
    }

    [Fact]
    public void RouteRateLimit_BadKeysAndValues_AreReportedWithTheirPositions()
    {
        var errors = Errors("""
            [[route]]
            name = "api"
            cluster = "c"
            rate_limit = { requests = 0, per = "1 minute", key = "clinet" }
            """);
        Assert.Equal(
        [
            "4:27: 'requests' must be between 1 and 1000000000, got 0",
            "4:36: invalid duration '1 minute': unexpected ' ' for 'per'",
            "4:54: invalid value 'clinet' for 'key'; did you mean 'client'? expected one of: consumer, client, route, header:NAME",
        ], errors);
    }

    [Fact]
    public void RouteRateLimit_MissingKeys_AndUnknownKeys_AreReported()
    {
        Assert.Equal(
        [
            "4:14: missing required key 'per' in rate_limit",
            "4:14: missing required key 'key' in rate_limit",
            "4:30: unknown key 'burst' in rate_limit",
        ], Errors("""
            [[route]]
            name = "api"
            cluster = "c"
            rate_limit = { requests = 5, burst = 2 }
            """));
    }

    [Fact]
    public void ConcurrencyLimit_BadHeaderName_AndMissingMax()
    {
        Assert.Equal(
        [
            "4:21: missing required key 'max' in concurrency_limit",
            "4:29: invalid header name 'x tenant' in 'key'; write key = \"header:NAME\" with an HTTP header name",
        ], Errors("""
            [[route]]
            name = "api"
            cluster = "c"
            concurrency_limit = { key = "header:x tenant" }
            """));
    }

    [Fact]
    public void RouteRateLimit_NotATable_IsATypeError()
    {
        Assert.Equal(["4:14: expected an array of tables ([[rate_limit]]) for 'rate_limit', got integer"], Errors("""
            [[route]]
            name = "api"
            cluster = "c"
            rate_limit = 100
            """));
    }
}
