using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.RateLimits;
using FastGate.Proxy.Upstreams;

namespace FastGate.Benchmarks;

/// <summary>
/// Local rate-limit decisions on a key seen before: the store alone (admitted and refused), and
/// the whole stage on an exchange (a client limit, a header limit and a concurrency slot taken
/// and given back). Every one must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class RateLimitBenchmark
{
    private readonly LocalRateLimitStore _store = new();
    private readonly RateLimitPolicy _roomy = new("bench\nroomy", 1_000_000_000, TimeSpan.FromSeconds(1));
    private readonly RateLimitPolicy _exhausted = new("bench\nexhausted", 1, TimeSpan.FromHours(1));
    private Exchange _exchange = null!;
    private Stage _stage = null!;
    private ulong _key;

    [GlobalSetup]
    public void Setup()
    {
        _key = RateLimitKeySelector.Hash(RateLimitKeyKind.Client, [10, 1, 2, 3]);
        _store.TryAcquire(_exhausted, _key);

        var route = new RouteModel
        {
            Name = "api",
            Cluster = "c",
            RateLimits =
            [
                new RouteRateLimitModel { Requests = 1_000_000_000, Per = TimeSpan.FromSeconds(1), Key = RateLimitKeyKind.Client },
                new RouteRateLimitModel { Requests = 1_000_000_000, Per = TimeSpan.FromSeconds(1), Key = RateLimitKeyKind.Header, HeaderName = "x-tenant" },
            ],
            ConcurrencyLimits = [new RouteConcurrencyLimitModel { Max = 1000, Key = RateLimitKeyKind.Client }],
        };
        var config = new ConfigModel { SourcePath = "bench.toml", Listeners = [], Routes = [route], Clusters = new Dictionary<string, ClusterModel>() };
        var metrics = new GatewayMetrics();
        var chain = RouteStages.Build(route, config, new StageServices(new GatewayLog(TextWriter.Null), metrics));
        _stage = chain.Stages[0];

        _exchange = Exchange.ForRequest("GET /api/items HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: bench/1.0\r\nX-Tenant: acme\r\nAccept: */*\r\n\r\n", IPAddress.Parse("10.1.2.3"));
        var cluster = new Cluster(new ClusterModel { Name = "c", Endpoints = [] }, [], new RoundRobinPolicy());
        _exchange.Routed(new RouteRuntime(route, cluster, metrics.Route("api"), chain));
    }

    [Benchmark(Baseline = true)]
    public bool Store_Admitted() => _store.TryAcquire(_roomy, _key).Allowed;

    [Benchmark]
    public bool Store_Refused() => _store.TryAcquire(_exhausted, _key).Allowed;

    [Benchmark]
    public StageOutcome Stage_RequestHeadAndComplete()
    {
        var outcome = _stage.OnRequestHeadAsync(_exchange).Result;
        _stage.OnComplete(_exchange);
        return outcome;
    }
}
