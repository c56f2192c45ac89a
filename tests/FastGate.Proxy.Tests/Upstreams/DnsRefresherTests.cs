using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class DnsRefresherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");

    private static EndpointState Endpoint(EndPoint address) =>
        new(new EndpointModel { Address = address.ToString()!, EndPoint = address, HostHeader = "api.internal" }, SocketConnector.Default);

    private static EndpointState Named(string host) => Endpoint(new DnsEndPoint(host, 8080));

    private static Cluster Cluster(TimeSpan refresh, params EndpointState[] endpoints)
    {
        var model = new ClusterModel { Name = "a", Endpoints = endpoints.Select(endpoint => endpoint.Model).ToArray(), DnsRefresh = refresh };
        return new Cluster(model, endpoints, LoadBalancingPolicies.Create(model));
    }

    private static async Task EventuallyAsync(Func<bool> done, string what)
    {
        var started = Stopwatch.GetTimestamp();
        while (!done())
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < Patience, $"not within {Patience}: {what}");
            await Task.Delay(10);
        }
    }

    private static bool Resolves(EndpointState endpoint, params IPAddress[] addresses) =>
        endpoint.Addresses.Current.Select(address => address.Address).SequenceEqual(addresses);

    /// <summary>A resolver whose answer per name the test sets; a null answer makes the lookup fail.</summary>
    private sealed class Resolver
    {
        private readonly ConcurrentDictionary<string, int> _calls = new();

        public volatile IPAddress[]? Answer;

        public int Calls(string host) => _calls.GetValueOrDefault(host);

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellation)
        {
            _calls.AddOrUpdate(host, 1, (_, count) => count + 1);
            return Answer is { } answer
                ? Task.FromResult(answer)
                : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
        }
    }

    [Fact]
    public async Task Update_NamedEndpoint_ResolvesAtOnceAndFollowsChanges()
    {
        var resolver = new Resolver { Answer = [A] };
        var endpoint = Named("api.internal");
        using var refresher = new DnsRefresher(new GatewayLog(TextWriter.Null), resolver.ResolveAsync);

        refresher.Update([Cluster(TimeSpan.FromMilliseconds(20), endpoint)]);
        await EventuallyAsync(() => Resolves(endpoint, A), "first answer");
        var toA = endpoint.Addresses.Next();
        resolver.Answer = [B];
        await EventuallyAsync(() => Resolves(endpoint, B), "changed answer");

        Assert.Equal(new IPEndPoint(B, 8080), endpoint.Addresses.Next());
        Assert.False(endpoint.Addresses.IsCurrent(toA));
    }

    [Fact]
    public async Task Update_LookupFails_KeepsTheLastAnswerAndWarnsOnce()
    {
        var resolver = new Resolver { Answer = [A] };
        var endpoint = Named("api.internal");
        var log = new StringWriter();
        using var refresher = new DnsRefresher(new GatewayLog(log), resolver.ResolveAsync);
        refresher.Update([Cluster(TimeSpan.FromMilliseconds(20), endpoint)]);
        await EventuallyAsync(() => Resolves(endpoint, A), "first answer");

        resolver.Answer = null;
        var callsAtFailure = resolver.Calls("api.internal");
        await EventuallyAsync(() => resolver.Calls("api.internal") >= callsAtFailure + 5, "failed lookups");

        Assert.True(Resolves(endpoint, A));
        Assert.Equal(new IPEndPoint(A, 8080), endpoint.Addresses.Next());
        string[] warnings;
        lock (log)
        {
            warnings = log.ToString().Split('\n').Where(line => line.Contains(" warn ", StringComparison.Ordinal)).ToArray();
        }
        var warning = Assert.Single(warnings);
        Assert.Contains("lookup of 'api.internal' failed", warning);
        Assert.Contains("keeping 10.0.0.1:8080", warning);
    }

    [Fact]
    public async Task Update_EmptyAnswer_KeepsTheLastAnswer()
    {
        var resolver = new Resolver { Answer = [A] };
        var endpoint = Named("api.internal");
        using var refresher = new DnsRefresher(new GatewayLog(TextWriter.Null), resolver.ResolveAsync);
        refresher.Update([Cluster(TimeSpan.FromMilliseconds(20), endpoint)]);
        await EventuallyAsync(() => Resolves(endpoint, A), "first answer");

        resolver.Answer = [];
        var callsAtChange = resolver.Calls("api.internal");
        await EventuallyAsync(() => resolver.Calls("api.internal") >= callsAtChange + 3, "empty answers");

        Assert.True(Resolves(endpoint, A));
    }

    [Fact]
    public void Update_IpEndpoints_ResolvesNothing()
    {
        var resolver = new Resolver { Answer = [A] };
        using var refresher = new DnsRefresher(new GatewayLog(TextWriter.Null), resolver.ResolveAsync);

        refresher.Update([Cluster(TimeSpan.FromMilliseconds(20), Endpoint(new IPEndPoint(B, 80)))]);

        Assert.Equal(0, refresher.Count);
    }

    [Fact]
    public async Task Update_RepeatedReloads_KeepTheScheduleOfEndpointsThatStay()
    {
        var resolver = new Resolver { Answer = [A] };
        var staying = Named("staying.internal");
        var added = Named("added.internal");
        using var refresher = new DnsRefresher(new GatewayLog(TextWriter.Null), resolver.ResolveAsync);
        refresher.Update([Cluster(TimeSpan.FromHours(1), staying)]);
        await EventuallyAsync(() => Resolves(staying, A), "first answer");

        for (var i = 0; i < 50; i++)
        {
            refresher.Update([Cluster(TimeSpan.FromHours(1), staying)]);
        }
        refresher.Update([Cluster(TimeSpan.FromHours(1), staying, added)]);
        await EventuallyAsync(() => Resolves(added, A), "the added endpoint's answer");

        Assert.Equal(1, resolver.Calls("staying.internal"));
        Assert.Equal(2, refresher.Count);
    }

    [Fact]
    public async Task Dispose_StopsEveryRefresh()
    {
        var resolver = new Resolver { Answer = [A] };
        var endpoint = Named("api.internal");
        var refresher = new DnsRefresher(new GatewayLog(TextWriter.Null), resolver.ResolveAsync);
        refresher.Update([Cluster(TimeSpan.FromMilliseconds(20), endpoint)]);
        await EventuallyAsync(() => resolver.Calls("api.internal") >= 2, "refreshes");

        refresher.Dispose();
        var atDispose = resolver.Calls("api.internal");
        await Task.Delay(200);

        Assert.Equal(atDispose, resolver.Calls("api.internal"));
        Assert.Equal(0, refresher.Count);
    }

    [Fact]
    public async Task Update_DefaultResolver_ResolvesLocalhostToLoopback()
    {
        var endpoint = Named("localhost");
        using var refresher = new DnsRefresher(new GatewayLog(TextWriter.Null));

        refresher.Update([Cluster(TimeSpan.FromHours(1), endpoint)]);
        await EventuallyAsync(() => endpoint.Addresses.Current.Count > 0, "an answer for localhost");

        Assert.All(endpoint.Addresses.Current, address => Assert.True(IPAddress.IsLoopback(address.Address)));
        Assert.All(endpoint.Addresses.Current, address => Assert.Equal(8080, address.Port));
    }
}
