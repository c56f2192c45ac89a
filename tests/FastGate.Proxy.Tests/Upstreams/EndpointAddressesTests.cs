using System.Net;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class EndpointAddressesTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress C = IPAddress.Parse("2001:db8::3");

    private static EndpointAddresses Named() => new(new DnsEndPoint("api.internal", 8443));

    [Fact]
    public void Next_IpEndpoint_ReturnsItAndEveryTargetIsCurrent()
    {
        var ip = new IPEndPoint(A, 80);
        var addresses = new EndpointAddresses(ip);

        Assert.Same(ip, addresses.Next());
        Assert.Same(ip, addresses.Next());
        Assert.Null(addresses.HostName);
        Assert.True(addresses.IsCurrent(ip));
        Assert.False(addresses.Update([B]));
        Assert.Same(ip, addresses.Next());
    }

    [Fact]
    public void Next_NameNotResolvedYet_ReturnsTheName()
    {
        var addresses = Named();

        var next = Assert.IsType<DnsEndPoint>(addresses.Next());
        Assert.Equal("api.internal", next.Host);
        Assert.Empty(addresses.Current);
        Assert.True(addresses.IsCurrent(next));
    }

    [Fact]
    public void Next_AfterAnAnswer_RotatesOverEveryAddressWithTheNamesPort()
    {
        var addresses = Named();
        Assert.True(addresses.Update([A, B, C]));

        var counts = new Dictionary<IPEndPoint, int>();
        for (var i = 0; i < 300; i++)
        {
            var next = Assert.IsType<IPEndPoint>(addresses.Next());
            counts[next] = counts.GetValueOrDefault(next) + 1;
        }

        Assert.Equal(3, counts.Count);
        Assert.All(counts, pair => Assert.Equal(100, pair.Value));
        Assert.All(counts.Keys, endpoint => Assert.Equal(8443, endpoint.Port));
        Assert.True(counts.Keys.Select(endpoint => endpoint.Address).ToHashSet().SetEquals([A, B, C]));
    }

    [Fact]
    public void IsCurrent_AnswerChanged_FalseForTheAddressThatLeft()
    {
        var addresses = Named();
        addresses.Update([A, B]);
        var toA = new IPEndPoint(A, 8443);
        var toB = new IPEndPoint(B, 8443);

        Assert.True(addresses.Update([B, C]));

        Assert.False(addresses.IsCurrent(toA));
        Assert.True(addresses.IsCurrent(toB));
        Assert.True(addresses.IsCurrent(new IPEndPoint(C, 8443)));
        Assert.False(addresses.IsCurrent(new IPEndPoint(B, 9999)));
    }

    [Fact]
    public void IsCurrent_ConnectionOpenedByNameBeforeTheFirstAnswer_FalseOnceAnswered()
    {
        var addresses = Named();
        var byName = addresses.Next();

        addresses.Update([A]);

        Assert.False(addresses.IsCurrent(byName));
    }

    [Fact]
    public void Update_EmptyAnswer_KeepsTheLastAnswer()
    {
        var addresses = Named();
        addresses.Update([A]);

        Assert.False(addresses.Update([]));

        Assert.Equal(new IPEndPoint(A, 8443), addresses.Next());
        Assert.True(addresses.IsCurrent(new IPEndPoint(A, 8443)));
    }

    [Fact]
    public void Update_SameAddressesInAnotherOrder_KeepsTheCurrentAnswer()
    {
        var addresses = Named();
        addresses.Update([A, B]);
        var before = addresses.Current;

        Assert.False(addresses.Update([B, A, B]));

        Assert.Same(before, addresses.Current);
    }

    [Fact]
    public void Update_RepeatedAddress_IsTakenOnce()
    {
        var addresses = Named();

        addresses.Update([A, A, B]);

        Assert.Equal(2, addresses.Current.Count);
    }

    [Fact]
    public void NextAndIsCurrent_Resolved_AllocateNothing()
    {
        var addresses = Named();
        addresses.Update([A, B, C]);
        var target = new IPEndPoint(C, 8443);
        var ip = new EndpointAddresses(new IPEndPoint(A, 80));
        addresses.Next();
        addresses.IsCurrent(target);
        ip.Next();
        ip.IsCurrent(target);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var current = 0;
        for (var i = 0; i < 1000; i++)
        {
            addresses.Next();
            ip.Next();
            current += addresses.IsCurrent(target) ? 1 : 0;
            current += ip.IsCurrent(target) ? 1 : 0;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2000, current);
        Assert.Equal(0, allocated);
    }
}
