using System.Net;
using System.Text;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.LoadBalancing;

public class LoadBalancingPolicyTests
{
    private static EndpointState[] Endpoints(params int[] weights) => weights
        .Select((w, i) => new EndpointState(
            new EndpointModel { Address = $"10.0.0.{i + 1}:80", EndPoint = new IPEndPoint(IPAddress.Parse($"10.0.0.{i + 1}"), 80), HostHeader = "x", Weight = w },
            SocketConnector.Default))
        .ToArray();

    private static ILoadBalancingPolicy Policy(LoadBalancingAlgorithm algorithm, EndpointState[] endpoints, int seed = 7) =>
        LoadBalancingPolicies.Create(new ClusterModel
        {
            Name = "c",
            Endpoints = endpoints.Select(e => e.Model).ToArray(),
            LoadBalancing = algorithm,
        }, new Random(seed));

    private static ulong ClientHash(int client) => StableHash.Hash(Encoding.ASCII.GetBytes($"192.0.2.{client % 250}.{client}"));

    [Fact]
    public void RoundRobin_CyclesThroughEveryEndpoint()
    {
        var endpoints = Endpoints(1, 1, 1);
        var policy = Policy(LoadBalancingAlgorithm.RoundRobin, endpoints);

        var picks = Enumerable.Range(0, 6).Select(_ => policy.Pick(endpoints, 0)).ToArray();

        Assert.Equal([0, 1, 2, 0, 1, 2], picks);
    }

    [Fact]
    public void WeightedRoundRobin_Weights511_GivesTheSmoothNginxSequence()
    {
        var endpoints = Endpoints(5, 1, 1);
        var policy = Policy(LoadBalancingAlgorithm.WeightedRoundRobin, endpoints);

        var picks = string.Concat(Enumerable.Range(0, 14).Select(_ => (char)('a' + policy.Pick(endpoints, 0))));

        Assert.Equal("aabacaaaabacaa", picks);
    }

    [Fact]
    public void LeastRequest_PicksTheEndpointWithFewestInFlight()
    {
        var endpoints = Endpoints(1, 1, 1);
        endpoints[0].OnRequestStart();
        endpoints[0].OnRequestStart();
        endpoints[2].OnRequestStart();
        var policy = Policy(LoadBalancingAlgorithm.LeastRequest, endpoints);

        var picks = Enumerable.Range(0, 5).Select(_ => policy.Pick(endpoints, 0)).Distinct().ToArray();

        Assert.Equal([1], picks);
    }

    [Fact]
    public void PowerOfTwoChoices_TwoEndpoints_AlwaysTakesTheLessLoaded()
    {
        var endpoints = Endpoints(1, 1);
        endpoints[1].OnRequestStart();
        var policy = Policy(LoadBalancingAlgorithm.P2c, endpoints);

        var picks = Enumerable.Range(0, 50).Select(_ => policy.Pick(endpoints, 0)).Distinct().ToArray();

        Assert.Equal([0], picks);
    }

    [Fact]
    public void Random_SpreadsInProportionToWeight()
    {
        var endpoints = Endpoints(3, 1);
        var policy = Policy(LoadBalancingAlgorithm.Random, endpoints);

        var heavy = Enumerable.Range(0, 20_000).Count(_ => policy.Pick(endpoints, 0) == 0);

        Assert.InRange(heavy / 20_000.0, 0.72, 0.78);
    }

    [Theory]
    [InlineData(LoadBalancingAlgorithm.RingHash)]
    [InlineData(LoadBalancingAlgorithm.Maglev)]
    public void ConsistentHash_SameClient_AlwaysGetsTheSameEndpoint(LoadBalancingAlgorithm algorithm)
    {
        var endpoints = Endpoints(1, 1, 1, 1);
        var policy = Policy(algorithm, endpoints);
        var again = Policy(algorithm, endpoints);

        for (var client = 0; client < 1000; client++)
        {
            var hash = ClientHash(client);
            Assert.Equal(policy.Pick(endpoints, hash), again.Pick(endpoints, hash));
        }
    }

    [Theory]
    [InlineData(LoadBalancingAlgorithm.RingHash, 0.15)]
    [InlineData(LoadBalancingAlgorithm.Maglev, 0.03)]
    public void ConsistentHash_EqualWeights_SpreadsEvenly(LoadBalancingAlgorithm algorithm, double tolerance)
    {
        var endpoints = Endpoints(1, 1, 1, 1);
        var policy = Policy(algorithm, endpoints);
        var counts = new int[4];

        for (var client = 0; client < 40_000; client++)
        {
            counts[policy.Pick(endpoints, ClientHash(client))]++;
        }

        Assert.All(counts, c => Assert.InRange(c / 10_000.0, 1 - tolerance, 1 + tolerance));
    }

    [Theory]
    [InlineData(LoadBalancingAlgorithm.RingHash)]
    [InlineData(LoadBalancingAlgorithm.Maglev)]
    public void ConsistentHash_RemovingAnEndpoint_MovesFewOtherClients(LoadBalancingAlgorithm algorithm)
    {
        var four = Endpoints(1, 1, 1, 1);
        var three = four.Take(3).ToArray();
        var before = Policy(algorithm, four);
        var after = Policy(algorithm, three);
        int stayed = 0, eligible = 0;

        for (var client = 0; client < 20_000; client++)
        {
            var hash = ClientHash(client);
            var was = before.Pick(four, hash);
            if (was == 3)
            {
                continue;
            }
            eligible++;
            if (after.Pick(three, hash) == was)
            {
                stayed++;
            }
        }

        // Round robin or modulo hashing would move about two thirds of these clients.
        Assert.True(stayed >= eligible * 0.9, $"{stayed} of {eligible} kept their endpoint");
    }

    [Fact]
    public void Maglev_Weights21_GivesTwiceTheShare()
    {
        var endpoints = Endpoints(2, 1);
        var policy = Policy(LoadBalancingAlgorithm.Maglev, endpoints);

        var heavy = Enumerable.Range(0, 30_000).Count(client => policy.Pick(endpoints, ClientHash(client)) == 0);

        Assert.InRange(heavy / 30_000.0, 0.63, 0.70);
    }
}
