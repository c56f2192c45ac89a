using System.Net;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Tests.Hosting;

public class ClientAddressCacheTests
{
    [Fact]
    public void Get_SameAddressTwice_SharesTheArrays()
    {
        var first = ClientAddressCache.Get([192, 0, 2, 7]);
        var second = ClientAddressCache.Get([192, 0, 2, 7]);

        Assert.Equal("192.0.2.7"u8.ToArray(), first.Text);
        Assert.Equal(new byte[] { 192, 0, 2, 7 }, first.Ip);
        Assert.Equal(FastGate.Proxy.LoadBalancing.StableHash.Hash(first.Text), first.Hash);
        Assert.Same(first, second);
    }

    [Fact]
    public void Get_ManyAddresses_EachGetsItsOwnText()
    {
        // More addresses than entries: evictions must never hand one address another's arrays.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 300; i++)
            {
                byte[] ip = [10, 1, (byte)(i >> 8), (byte)i];
                var client = ClientAddressCache.Get(ip);
                Assert.Equal(ip, client.Ip);
                Assert.Equal($"10.1.{i >> 8}.{i & 0xFF}", System.Text.Encoding.ASCII.GetString(client.Text));
            }
        }
    }

    [Fact]
    public void Get_V6AndV4WithTheSameLowBytes_AreDifferentEntries()
    {
        var v6 = IPAddress.Parse("::c000:207").GetAddressBytes();

        var v4 = ClientAddressCache.Get([192, 0, 2, 7]);
        var other = ClientAddressCache.Get(v6);

        Assert.Equal("192.0.2.7", System.Text.Encoding.ASCII.GetString(v4.Text));
        Assert.Equal(v6, other.Ip);
        Assert.NotEqual(v4.Text, other.Text);
    }

    [Fact]
    public void Get_UnknownAddress_IsUnknown()
    {
        var client = ClientAddressCache.Get([]);

        Assert.Equal("unknown"u8.ToArray(), client.Text);
        Assert.Empty(client.Ip);
    }
}
