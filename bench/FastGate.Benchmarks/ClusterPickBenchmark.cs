using System.Net;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Upstreams;

namespace FastGate.Benchmarks;

/// <summary>
/// Cluster.Pick over eight endpoints, as every exchange calls it: all in rotation (the fast path:
/// one policy call and one look at the cluster's counts) and with one ejected (the clock read,
/// availability checks and a second ask when the policy lands on it), and a retry's pick that
/// avoids the endpoint that just failed. Allocated must be zero in every row.
/// </summary>
[MemoryDiagnoser]
public class ClusterPickBenchmark
{
    private Cluster _cluster = null!;
    private EndpointState _avoid = null!;
    private ulong _hash;

    [Params(LoadBalancingAlgorithm.RoundRobin, LoadBalancingAlgorithm.PeakEwma)]
    public LoadBalancingAlgorithm Policy { get; set; }

    [Params(false, true)]
    public bool OneEjected { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var model = new ClusterModel
        {
            Name = "bench",
            Endpoints = Enumerable.Range(1, 8).Select(i => new EndpointModel
            {
                Address = $"10.0.0.{i}:80",
                EndPoint = new IPEndPoint(IPAddress.Parse($"10.0.0.{i}"), 80),
                HostHeader = "bench",
            }).ToArray(),
            LoadBalancing = Policy,
            // Long enough that the ejection outlasts the run.
            Outlier = new OutlierModel { BaseEjectionTime = TimeSpan.FromHours(1), MaxEjectionTime = TimeSpan.FromHours(1) },
        };
        var endpoints = model.Endpoints.Select(e => new EndpointState(e, SocketConnector.Default)).ToArray();
        _cluster = new Cluster(model, endpoints, LoadBalancingPolicies.Create(model));
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i].OnResponse(200, (i + 1) * System.Diagnostics.Stopwatch.Frequency / 1000);
        }
        if (OneEjected)
        {
            for (var i = 0; i < 3; i++)
            {
                endpoints[3].OnConnectFailure();
            }
            if (endpoints[3].IsAvailable(System.Diagnostics.Stopwatch.GetTimestamp()))
            {
                throw new InvalidOperationException("The endpoint was not ejected.");
            }
        }
        _avoid = endpoints[0];
        _hash = StableHash.Hash("192.0.2.7"u8);
    }

    [Benchmark(Baseline = true)]
    public EndpointState? Pick() => _cluster.Pick(_hash);

    [Benchmark]
    public EndpointState? PickAvoiding() => _cluster.Pick(_hash, _avoid);
}
