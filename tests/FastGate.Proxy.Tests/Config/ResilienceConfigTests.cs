using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>[cluster.NAME.health], .outlier, .retry, .circuit and the cluster's panic, slow-start and DNS keys.</summary>
public class ResilienceConfigTests
{
    private const string Head = """
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [[route]]
        name = "api"
        cluster = "c"

        [cluster.c]
        endpoints = ["127.0.0.1:9001", "127.0.0.1:9002"]

        """;

    private static ClusterModel Cluster(string tables)
    {
        var result = ConfigLoader.LoadFromText(Head + tables, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Model!.Clusters["c"];
    }

    private static string[] Errors(string tables)
    {
        var result = ConfigLoader.LoadFromText(Head + tables, "test.toml");
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    [Fact]
    public void NoTables_GiveTheDefaults()
    {
        var cluster = Cluster("");
        Assert.Null(cluster.Health);
        Assert.Equal(0, cluster.Outlier.Consecutive5xx);
        Assert.Equal(3, cluster.Outlier.ConsecutiveFailures);
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.Outlier.BaseEjectionTime);
        Assert.Equal(50, cluster.Outlier.MaxEjectionPercent);
        Assert.Equal(2, cluster.Retry.Attempts);
        Assert.Equal(RetryConditions.ConnectFailure | RetryConditions.Reset, cluster.Retry.On);
        Assert.Equal(20, cluster.Retry.BudgetPercent);
        Assert.Equal(3, cluster.Retry.BudgetMinimum);
        Assert.Null(cluster.Retry.PerTryTimeout);
        Assert.Equal(0, cluster.Circuit.MaxRequests);
        Assert.Equal(50, cluster.PanicThresholdPercent);
        Assert.Equal(TimeSpan.Zero, cluster.SlowStart);
        Assert.Equal(TimeSpan.FromSeconds(30), cluster.DnsRefresh);
    }

    [Fact]
    public void EveryKey_IsRead()
    {
        var cluster = Cluster("""
            lb = "peak_ewma"
            panic_threshold = "30%"
            slow_start = "20s"
            dns_refresh = "10s"
            [cluster.c.health]
            path = "/ready"
            host = "svc.internal"
            expected_statuses = ["200-299", 302]
            interval = "2s"
            timeout = "500ms"
            jitter = "0s"
            healthy = 1
            unhealthy = 4
            [cluster.c.outlier]
            consecutive_5xx = 5
            consecutive_failures = 2
            base_ejection_time = "5s"
            max_ejection_time = "1m"
            max_ejection_percent = 34
            [cluster.c.retry]
            attempts = 3
            on = ["connect-failure", "timeout", "502", "503", "503"]
            budget = "10%"
            budget_min = 5
            per_try_timeout = "750ms"
            methods = ["POST"]
            [cluster.c.circuit]
            max_connections = 100
            max_pending = 10
            max_requests = 200
            """);
        Assert.Equal(LoadBalancingAlgorithm.PeakEwma, cluster.LoadBalancing);
        Assert.Equal(30, cluster.PanicThresholdPercent);
        Assert.Equal(TimeSpan.FromSeconds(20), cluster.SlowStart);
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.DnsRefresh);

        var health = cluster.Health!;
        Assert.Equal("/ready", health.Path);
        Assert.Equal("svc.internal", health.Host);
        Assert.Equal([new StatusRange(200, 299), new StatusRange(302, 302)], health.ExpectedStatuses);
        Assert.True(health.Passes(204));
        Assert.True(health.Passes(302));
        Assert.False(health.Passes(301));
        Assert.False(health.Passes(503));
        Assert.Equal(TimeSpan.FromSeconds(2), health.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), health.Timeout);
        Assert.Equal(TimeSpan.Zero, health.Jitter);
        Assert.Equal(1, health.HealthyThreshold);
        Assert.Equal(4, health.UnhealthyThreshold);

        Assert.Equal(new OutlierModel
        {
            Consecutive5xx = 5,
            ConsecutiveFailures = 2,
            BaseEjectionTime = TimeSpan.FromSeconds(5),
            MaxEjectionTime = TimeSpan.FromMinutes(1),
            MaxEjectionPercent = 34,
        }, cluster.Outlier);

        var retry = cluster.Retry;
        Assert.Equal(3, retry.Attempts);
        Assert.Equal(RetryConditions.ConnectFailure | RetryConditions.Timeout | RetryConditions.Status, retry.On);
        Assert.Equal([502, 503], retry.Statuses);
        Assert.Equal(10, retry.BudgetPercent);
        Assert.Equal(5, retry.BudgetMinimum);
        Assert.Equal(TimeSpan.FromMilliseconds(750), retry.PerTryTimeout);
        Assert.Equal(["POST"], retry.Methods);

        Assert.Equal(new CircuitModel { MaxConnections = 100, MaxPending = 10, MaxRequests = 200 }, cluster.Circuit);
    }

    [Fact]
    public void HealthWithoutPath_IsATcpCheck_WithJitterATenthOfTheInterval()
    {
        var health = Cluster("""
            [cluster.c.health]
            interval = "10s"
            """).Health!;
        Assert.Null(health.Path);
        Assert.Equal(TimeSpan.FromSeconds(1), health.Jitter);
        Assert.True(health.Passes(200));
        Assert.True(health.Passes(399));
        Assert.False(health.Passes(400));
    }

    [Fact]
    public void Percent_AcceptsABareInteger()
    {
        Assert.Equal(25, Cluster("panic_threshold = 25\n").PanicThresholdPercent);
    }

    [Theory]
    [InlineData("panic_threshold = \"120%\"\n", "test.toml:11:19: 'panic_threshold' must be between 0% and 100%, got 120%")]
    [InlineData("panic_threshold = \"half\"\n", "test.toml:11:19: expected a percentage like \"20%\" for 'panic_threshold', got string")]
    [InlineData("[cluster.c.health]\npath = \"healthz\"\n", "test.toml:12:8: 'path' must start with '/' and hold no spaces or control characters, got 'healthz'")]
    [InlineData("[cluster.c.health]\nexpected_statuses = [\"299-200\"]\n", "test.toml:12:22: 'expected_statuses' holds statuses (100-599) or ranges like \"200-299\"; got '299-200'")]
    [InlineData("[cluster.c.health]\nexpected_statuses = []\n", "test.toml:12:21: expected a non-empty array of statuses like [\"200-299\", 302] for 'expected_statuses', got array")]
    [InlineData("[cluster.c.health]\ninterval = \"1s\"\ntimeout = \"2s\"\n", "test.toml:11:1: 'timeout' (2s) must not exceed 'interval' (1s) in [cluster.c.health]: checks would overlap")]
    [InlineData("[cluster.c.health]\nhealthy = 0\n", "test.toml:12:11: 'healthy' must be between 1 and 100, got 0")]
    [InlineData("[cluster.c.outlier]\nbase_ejection_time = \"1m\"\nmax_ejection_time = \"10s\"\n", "test.toml:11:1: 'max_ejection_time' must be at least 'base_ejection_time' in [cluster.c.outlier]")]
    [InlineData("[cluster.c.outlier]\nconsecutive_errors = 3\n", "test.toml:12:1: unknown key 'consecutive_errors' in [cluster.c.outlier]")]
    [InlineData("[cluster.c.retry]\non = [\"gateway-error\"]\n", "test.toml:12:7: unknown retry condition 'gateway-error' in [cluster.c.retry]: use connect-failure, reset, timeout or a status from 400 to 599 (\"503\")")]
    [InlineData("[cluster.c.retry]\non = [\"200\"]\n", "test.toml:12:7: unknown retry condition '200' in [cluster.c.retry]: use connect-failure, reset, timeout or a status from 400 to 599 (\"503\")")]
    [InlineData("[cluster.c.retry]\nattempts = 0\n", "test.toml:12:12: 'attempts' must be between 1 and 10, got 0")]
    [InlineData("[cluster.c.retry]\nmethods = [\"post\"]\n", "test.toml:12:12: 'post' in 'methods' of [cluster.c.retry] is not an upper-case method name like \"POST\"")]
    [InlineData("[cluster.c.circuit]\nmax_requests = -1\n", "test.toml:12:16: 'max_requests' must be between 0 and 2147483647, got -1")]
    [InlineData("[cluster.c.circuit]\nmax_request = 5\n", "test.toml:12:1: unknown key 'max_request' in [cluster.c.circuit]; did you mean 'max_requests'?")]
    public void BadValues_AreReportedWhereTheyAre(string tables, string expected)
    {
        Assert.Equal([expected], Errors(tables));
    }
}
