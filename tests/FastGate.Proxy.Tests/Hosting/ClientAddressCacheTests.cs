using System.Net;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Tests.Hosting;

public class ClientAddressCacheTests
{
    [Fact]
    public void Get_SameAddressTwice_SharesTheArrays()
    {
        ClientAddressCache.Get([192, 0, 2, 7], out var firstText, out var firstBytes);
        ClientAddressCache.Get([192, 0, 2, 7], out var secondText, out var secondBytes);

        Assert.Equal("192.0.2.7"u8.ToArray(), firstText);
        Assert.Equal(new byte[] { 192, 0, 2, 7 }, firstBytes);
        Assert.Same(firstText, secondText);
        Assert.Same(firstBytes, secondBytes);
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
                ClientAddressCache.Get(ip, out var text, out var bytes);
                Assert.Equal(ip, bytes);
                Assert.Equal($"10.1.{i >> 8}.{i & 0xFF}", System.Text.Encoding.ASCII.GetString(text));
            }
        }
    }

    [Fact]
    public void Get_V6AndV4WithTheSameLowBytes_AreDifferentEntries()
    {
        var v6 = IPAddress.Parse("::c000:207").GetAddressBytes();

        ClientAddressCache.Get([192, 0, 2, 7], out var v4Text, out _);
        ClientAddressCache.Get(v6, out var v6Text, out var v6Bytes);

        Assert.Equal("192.0.2.7", System.Text.Encoding.ASCII.GetString(v4Text));
        Assert.Equal(v6, v6Bytes);
        Assert.NotEqual(v4Text, v6Text);
    }

    [Fact]
    public void Get_UnknownAddress_IsUnknown()
    {
        ClientAddressCache.Get([], out var text, out var bytes);

        Assert.Equal("unknown"u8.ToArray(), text);
        Assert.Empty(bytes);
    }
}
