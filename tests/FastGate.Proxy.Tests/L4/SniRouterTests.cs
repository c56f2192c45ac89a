using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.L4;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.L4;

public class SniRouterTests
{
    private static readonly Dictionary<string, Cluster> Clusters = new[] { "fallback", "exact", "wild", "deeper" }
        .ToDictionary(name => name, name => new Cluster(new ClusterModel { Name = name, Endpoints = [] }, [], new RoundRobinPolicy()));

    private static readonly SniRouter Router = new(
        [
            new SniRouteModel { Names = ["api.example.com", "example.com"], Cluster = "exact" },
            new SniRouteModel { Names = ["*.example.com"], Cluster = "wild" },
            new SniRouteModel { Names = ["*.eu.example.com"], Cluster = "deeper" },
        ],
        Clusters["fallback"],
        Clusters);

    [Theory]
    [InlineData("api.example.com", "exact")]
    [InlineData("example.com", "exact")]
    [InlineData("www.example.com", "wild")]
    [InlineData("a.b.example.com", "wild")]
    [InlineData("shop.eu.example.com", "deeper")]
    [InlineData("x.shop.eu.example.com", "deeper")]
    [InlineData("eu.example.com", "wild")]
    [InlineData("example.org", "fallback")]
    [InlineData("notexample.com", "fallback")]
    [InlineData("", "fallback")]
    public void Route_ServerName_ExactThenLongestWildcardThenFallback(string serverName, string expected)
    {
        Assert.Equal(expected, Router.Route(Encoding.ASCII.GetBytes(serverName)).Model.Name);
    }
}
