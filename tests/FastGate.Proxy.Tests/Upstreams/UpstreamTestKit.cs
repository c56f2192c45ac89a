using System.Diagnostics;
using System.Net;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

/// <summary>Clusters built in code, and a clock in Stopwatch ticks that the test moves: no test sleeps.</summary>
internal static class UpstreamTestKit
{
    /// <summary>An arbitrary origin, far from zero so that "0 = none" sentinels are never hit by accident.</summary>
    private static readonly long Origin = 1_000 * Stopwatch.Frequency;

    /// <summary>The timestamp <paramref name="seconds"/> after the test's origin.</summary>
    public static long At(double seconds) => Origin + (long)(seconds * Stopwatch.Frequency);

    public static long Ticks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    public static EndpointModel Endpoint(int i, int weight = 1) => new()
    {
        Address = $"10.0.0.{i}:80",
        EndPoint = new IPEndPoint(IPAddress.Parse($"10.0.0.{i}"), 80),
        HostHeader = "x",
        Weight = weight,
    };

    public static ClusterModel Model(int endpoints, LoadBalancingAlgorithm lb = LoadBalancingAlgorithm.RoundRobin) => new()
    {
        Name = "c",
        Endpoints = Enumerable.Range(1, endpoints).Select(i => Endpoint(i)).ToArray(),
        LoadBalancing = lb,
    };

    /// <summary>A cluster of <paramref name="model"/>'s endpoints with its own state, policy and randomness seeded.</summary>
    public static Cluster Cluster(ClusterModel model, int seed = 7)
    {
        var endpoints = model.Endpoints.Select(e => new EndpointState(e, SocketConnector.Default)).ToArray();
        return new Cluster(model, endpoints, LoadBalancingPolicies.Create(model, new Random(seed)), null, new Random(seed));
    }

    public static void Fail(EndpointState endpoint, int times, long now)
    {
        for (var i = 0; i < times; i++)
        {
            endpoint.OnConnectFailure(now);
        }
    }

    /// <summary>How many of <paramref name="picks"/> picks at <paramref name="now"/> went to each endpoint (null picks are not counted).</summary>
    public static int[] Count(Cluster cluster, int picks, long now, EndpointState? avoid = null)
    {
        var counts = new int[cluster.Endpoints.Length];
        for (var i = 0; i < picks; i++)
        {
            var endpoint = cluster.Pick((ulong)i * 0x9E3779B97F4A7C15UL, avoid, now);
            if (endpoint is not null)
            {
                counts[cluster.Endpoints.Position(endpoint)]++;
            }
        }
        return counts;
    }

    private static int Position(this ReadOnlySpan<EndpointState> endpoints, EndpointState endpoint)
    {
        for (var i = 0; i < endpoints.Length; i++)
        {
            if (ReferenceEquals(endpoints[i], endpoint))
            {
                return i;
            }
        }
        return -1;
    }
}
