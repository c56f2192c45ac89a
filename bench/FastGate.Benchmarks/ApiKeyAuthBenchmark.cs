using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Auth;

namespace FastGate.Benchmarks;

/// <summary>
/// The auth stage's API-key path on a parsed request head, among 1,000 consumers: hash the key on
/// the stack, find its consumer, drop the credential from the upstream request. Allocated must be
/// zero for every row, a refused key included (a flood of bad keys must not feed the GC).
/// </summary>
[MemoryDiagnoser]
public class ApiKeyAuthBenchmark
{
    private const int Consumers = 1000;

    private AuthStage _stage = null!;
    private AuthStage _queryStage = null!;
    private Exchange _xApiKey = null!;
    private Exchange _bearer = null!;
    private Exchange _query = null!;
    private Exchange _wrongKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = new StringBuilder("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            [[route]]
            name = "header"
            path_prefix = "/api/"
            cluster = "c"
            auth = ["api_key"]
            [[route]]
            name = "query"
            cluster = "c"
            auth = ["api_key"]
            api_key_query = "key"

            """);
        for (var i = 0; i < Consumers; i++)
        {
            config.Append($"[consumer.c{i}]\nkeys = [\"{Key(i)}\"]\n");
        }
        var result = ConfigLoader.LoadFromText(config.ToString(), "bench.toml");
        if (!result.IsValid)
        {
            throw new InvalidOperationException(string.Join("\n", result.Errors));
        }
        var model = result.Model;
        // Refusals are counted but not logged here: the log line is rate-limited to one a second.
        var services = new StageServices(new GatewayLog(TextWriter.Null) { Level = LogLevel.Error }, new GatewayMetrics());
        _stage = AuthStage.For(model.Routes[0], model, services)!;
        _queryStage = AuthStage.For(model.Routes[1], model, services)!;

        var key = Key(Consumers / 2);
        _xApiKey = Exchange($"GET /api/items?page=2 HTTP/1.1\r\nHost: api.example\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\nX-Api-Key: {key}\r\n\r\n");
        _bearer = Exchange($"GET /api/items?page=2 HTTP/1.1\r\nHost: api.example\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\nAuthorization: Bearer {key}\r\n\r\n");
        _query = Exchange($"GET /api/items?page=2&key={key}&sort=asc HTTP/1.1\r\nHost: api.example\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n");
        _wrongKey = Exchange("GET /api/items?page=2 HTTP/1.1\r\nHost: api.example\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\nX-Api-Key: sk-live-0000000000000000000000000000000000000000\r\n\r\n");

        // Measure what the row names claim.
        Expect(_stage, _xApiKey, StageOutcome.Continue);
        Expect(_stage, _bearer, StageOutcome.Continue);
        Expect(_queryStage, _query, StageOutcome.Continue);
        Expect(_stage, _wrongKey, StageOutcome.Answered);
    }

    private static string Key(int i) => $"sk-live-{i:D6}-5f0c2b9e8a7d4c3b2a1f0e9d8c7b6a59";

    private static Exchange Exchange(string head) => FastGate.Proxy.Forwarding.Exchange.ForRequest(head, IPAddress.Loopback);

    private static void Expect(AuthStage stage, Exchange exchange, StageOutcome expected)
    {
        var outcome = stage.Authenticate(exchange);
        exchange.Clear();
        if (outcome != expected)
        {
            throw new InvalidOperationException($"expected {expected}, got {outcome}");
        }
    }

    private static StageOutcome Run(AuthStage stage, Exchange exchange)
    {
        var outcome = stage.Authenticate(exchange);
        // What the front does between exchanges: the edits' buffers are kept for the next one.
        exchange.Clear();
        return outcome;
    }

    [Benchmark(Baseline = true)]
    public StageOutcome XApiKey() => Run(_stage, _xApiKey);

    [Benchmark]
    public StageOutcome BearerKey() => Run(_stage, _bearer);

    [Benchmark]
    public StageOutcome QueryKey() => Run(_queryStage, _query);

    [Benchmark]
    public StageOutcome WrongKey() => Run(_stage, _wrongKey);
}
