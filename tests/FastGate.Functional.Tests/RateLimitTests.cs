using System.Net;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// Rate and concurrency limits on the real daemon: the 429s and their fields, one global limit
/// across two daemons sharing a real redis-server, Redis going away mid-test, and counters that
/// outlive a SIGHUP reload.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class RateLimitTests(UpstreamsFixture upstreams)
{
    /// <summary>The catch-all route plus "limited" (<c>/limited/</c>, with <paramref name="limit"/>) and <paramref name="extra"/>.</summary>
    private string Config(string limit, string rateLimitTable = "", string extra = "") =>
        UpstreamsFixture.SimpleConfig(upstreams.A.Address, extra: $$"""

            {{rateLimitTable}}

            [[route]]
            name = "limited"
            path_prefix = "/limited/"
            strip_prefix = "/limited"
            cluster = "mock"
            {{limit}}
            {{extra}}
            """);

    private static async Task<List<HttpResponseMessage>> SendAsync(HttpClient client, int count, string path = "/limited/")
    {
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < count; i++)
        {
            responses.Add(await client.GetAsync(path));
        }
        return responses;
    }

    private static int Count(IEnumerable<HttpResponseMessage> responses, HttpStatusCode status) =>
        responses.Count(r => r.StatusCode == status);

    private static string Field(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : "";

    [Fact]
    public async Task OverTheLimit_Answers429_WithRetryAfterAndRateLimitFields()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config(
            "rate_limit = { requests = 5, per = \"1h\", key = \"client\" }",
            "[rate_limit]\nresponse_headers = true"));
        using var client = Clients.Http11(gateway.BaseUri);

        var responses = await SendAsync(client, 8);
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)), responses.Select(r => r.StatusCode));
        Assert.Equal(["4", "3", "2", "1", "0"], responses.Take(5).Select(r => Field(r, "RateLimit-Remaining")));
        Assert.Equal("Hello World!", await responses[0].Content.ReadAsStringAsync());

        var refused = responses[^1];
        Assert.Equal("5", Field(refused, "RateLimit-Limit"));
        Assert.Equal("0", Field(refused, "RateLimit-Remaining"));
        Assert.InRange(long.Parse(Field(refused, "RateLimit-Reset")), 3500, 3600);
        // One request is earned back every 12 minutes.
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(11), TimeSpan.FromMinutes(12));
        Assert.Contains("rate limit", await refused.Content.ReadAsStringAsync());

        // Other routes are not limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(3, FastGateProcess.Metric(await gateway.MetricsAsync(), "fastgate_rate_limited_total{route=\"limited\"}"));
    }

    [Fact]
    public async Task ConcurrencyLimit_RefusesPastMax_AndFreesTheSlotWhenTheExchangeEnds()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config("concurrency_limit = { max = 1, key = \"route\" }"));
        using var client = Clients.Http11(gateway.BaseUri);

        // The slow request and the probes race for the one slot: wait until the slow one holds
        // it, so a quick request is refused; a slow one that came while a probe held the slot was
        // refused itself and is sent again.
        Task<HttpResponseMessage>? slow = null;
        HttpResponseMessage? refused = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (refused is null && DateTime.UtcNow < deadline)
        {
            slow ??= client.GetAsync("/limited/delay/1500");
            if (slow.IsCompleted)
            {
                (await slow).Dispose();
                slow = null;
                continue;
            }
            using var probe = await client.GetAsync("/limited/");
            if (probe.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = probe;
                Assert.Equal("1", Field(probe, "Retry-After"));
            }
        }
        Assert.NotNull(refused);
        Assert.NotNull(slow);
        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
        Assert.Equal(3, Count(await SendAsync(client, 3), HttpStatusCode.OK));
    }

    [Fact]
    public async Task Sighup_KeepsCountersOfLimitsThatStay_AChangedLimitStartsFresh()
    {
        const string limit = "rate_limit = { requests = 5, per = \"1h\", key = \"client\" }";
        await using var gateway = await FastGateProcess.StartAsync(Config(limit));
        using var client = Clients.Http11(gateway.BaseUri);
        Assert.Equal(3, Count(await SendAsync(client, 3), HttpStatusCode.OK));

        // A reload that changes something else: the limit's two remaining requests are all there is.
        gateway.WriteConfig(Config(limit, extra: "timeout = \"20s\""));
        gateway.Process.Signal("HUP");
        await WaitForReloadAsync(gateway, 1);
        var after = await SendAsync(client, 4);
        Assert.Equal(2, Count(after, HttpStatusCode.OK));
        Assert.Equal(2, Count(after, HttpStatusCode.TooManyRequests));

        gateway.WriteConfig(Config("rate_limit = { requests = 6, per = \"1h\", key = \"client\" }"));
        gateway.Process.Signal("HUP");
        await WaitForReloadAsync(gateway, 2);
        Assert.Equal(6, Count(await SendAsync(client, 8), HttpStatusCode.OK));
    }

    [Fact]
    public async Task TwoGateways_SharingOneRedis_EnforceOneGlobalLimit()
    {
        using var redis = RedisServer.StartNew();
        var config = Config("rate_limit = { requests = 10, per = \"1h\", key = \"route\" }", RedisTable(redis, "local"));
        await using var first = await FastGateProcess.StartAsync(config);
        await using var second = await FastGateProcess.StartAsync(config);
        using var a = Clients.Http11(first.BaseUri);
        using var b = Clients.Http11(second.BaseUri);

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 15; i++)
        {
            responses.Add(await a.GetAsync("/limited/"));
            responses.Add(await b.GetAsync("/limited/"));
        }
        Assert.Equal(10, Count(responses, HttpStatusCode.OK));
        Assert.Equal(20, Count(responses, HttpStatusCode.TooManyRequests));
        // Both served some of the ten: the limit is one, not one each.
        Assert.Equal(5, Count(responses.Where((_, i) => i % 2 == 0), HttpStatusCode.OK));
        Assert.Equal(0, FastGateProcess.Metric(await first.MetricsAsync(), "fastgate_rate_limit_backend_errors_total"));
    }

    [Fact]
    public async Task RedisStopped_OnBackendErrorDeny_Answers503_ThenRecovers()
    {
        using var redis = RedisServer.StartNew();
        await using var gateway = await FastGateProcess.StartAsync(
            Config("rate_limit = { requests = 100, per = \"1h\", key = \"client\" }", RedisTable(redis, "deny")));
        using var client = Clients.Http11(gateway.BaseUri);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/limited/")).StatusCode);

        redis.Stop();
        var during = await SendAsync(client, 3);
        Assert.Equal(3, Count(during, HttpStatusCode.ServiceUnavailable));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(3, FastGateProcess.Metric(await gateway.MetricsAsync(), "fastgate_rate_limit_backend_errors_total"));

        redis.Start();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            status = (await client.GetAsync("/limited/")).StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task RedisStopped_OnBackendErrorLocal_KeepsLimitingOnLocalCounters()
    {
        using var redis = RedisServer.StartNew();
        await using var gateway = await FastGateProcess.StartAsync(
            Config("rate_limit = { requests = 3, per = \"1h\", key = \"client\" }", RedisTable(redis, "local")));
        using var client = Clients.Http11(gateway.BaseUri);
        Assert.Equal(3, Count(await SendAsync(client, 5), HttpStatusCode.OK));

        redis.Stop();
        // The local counters start from nothing: three more, then 429 again; never a 5xx.
        var during = await SendAsync(client, 5);
        Assert.Equal(3, Count(during, HttpStatusCode.OK));
        Assert.Equal(2, Count(during, HttpStatusCode.TooManyRequests));
        Assert.Equal(5, FastGateProcess.Metric(await gateway.MetricsAsync(), "fastgate_rate_limit_backend_errors_total"));
    }

    private static string RedisTable(RedisServer redis, string onError) => $"""
        [rate_limit]
        backend = "redis"
        redis = "{redis.Address}"
        on_backend_error = "{onError}"
        key_prefix = "test:{Guid.NewGuid():N}:"
        timeout = "2s"
        """;

    private static async Task WaitForReloadAsync(FastGateProcess gateway, double count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (FastGateProcess.Metric(await gateway.MetricsAsync(), "fastgate_reloads_total{result=\"success\"}") < count)
        {
            await Task.Delay(50, cts.Token);
        }
    }
}
