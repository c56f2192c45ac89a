using System.Net;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Tests.Hosting;

public class ClientConnectionCountsTests
{
    private static readonly byte[] V4 = [10, 0, 0, 1];
    private static readonly byte[] OtherV4 = [10, 0, 0, 2];
    private static readonly byte[] V6 = IPAddress.Parse("2001:db8::1").GetAddressBytes();

    [Fact]
    public void TryOpen_UpToTheCap_ThenRefused_AndAgainAfterARelease()
    {
        var counts = new ClientConnectionCounts();
        var leases = Enumerable.Range(0, 3).Select(_ => counts.TryOpen(V4, cap: 3)).ToList();

        Assert.All(leases, Assert.NotNull);
        Assert.Null(counts.TryOpen(V4, cap: 3));
        Assert.NotNull(counts.TryOpen(OtherV4, cap: 3));

        leases[0]!.Release();
        Assert.Equal(2, counts.OpenFor(V4));
        Assert.NotNull(counts.TryOpen(V4, cap: 3));
    }

    [Fact]
    public void Release_Twice_CountsOnce()
    {
        var counts = new ClientConnectionCounts();
        var first = counts.TryOpen(V6, cap: 2)!;
        counts.TryOpen(V6, cap: 2);

        first.Release();
        first.Release();

        Assert.Equal(1, counts.OpenFor(V6));
    }

    [Fact]
    public void TryOpen_NoCap_StillCounts_SoALaterCapSeesThem()
    {
        var counts = new ClientConnectionCounts();
        for (var i = 0; i < 5; i++)
        {
            Assert.NotNull(counts.TryOpen(V4, cap: 0));
        }

        Assert.Equal(5, counts.OpenFor(V4));
        Assert.Null(counts.TryOpen(V4, cap: 5));
    }

    [Fact]
    public void TryOpen_UnknownAddress_NeverCapped()
    {
        var counts = new ClientConnectionCounts();

        Assert.NotNull(counts.TryOpen([], cap: 1));
        Assert.NotNull(counts.TryOpen([], cap: 1));
    }

    [Fact]
    public void Release_Last_RemovesTheAddress()
    {
        var counts = new ClientConnectionCounts();
        counts.TryOpen(V4, cap: 1)!.Release();

        Assert.Equal(0, counts.OpenFor(V4));
        Assert.NotNull(counts.TryOpen(V4, cap: 1));
    }

    [Fact]
    public void TryCount_CountsAsALeaseDoes_AndUncountReleasesIt()
    {
        var counts = new ClientConnectionCounts();
        Assert.True(counts.TryCount(V4, cap: 2));
        Assert.NotNull(counts.TryOpen(V4, cap: 2));

        Assert.False(counts.TryCount(V4, cap: 2));
        Assert.Equal(2, counts.OpenFor(V4));

        counts.Uncount(V4);
        Assert.Equal(1, counts.OpenFor(V4));
        Assert.True(counts.TryCount(V4, cap: 2));
    }

    [Fact]
    public void LeaseFor_ACountedAddress_ReleasesThatCount()
    {
        var counts = new ClientConnectionCounts();
        Assert.True(counts.TryCount(V6, cap: 1));

        counts.LeaseFor(V6).Release();

        Assert.Equal(0, counts.OpenFor(V6));
    }

    [Fact]
    public void TryCount_UnknownAddress_NeverCapped_AndUncountIgnoresIt()
    {
        var counts = new ClientConnectionCounts();

        Assert.True(counts.TryCount([], cap: 1));
        Assert.True(counts.TryCount([], cap: 1));
        counts.Uncount([]);
        Assert.Equal(0, counts.OpenFor(V4));
    }
}
