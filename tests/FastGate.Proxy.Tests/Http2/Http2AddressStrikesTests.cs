using System.Diagnostics;
using System.Text;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

/// <summary>The strike table alone, on times the test chooses.</summary>
public class Http2AddressStrikesTests
{
    private static readonly long Second = Stopwatch.Frequency;
    private static readonly long Window = 60 * Second;
    private const long Start = 1_000_000;

    private static byte[] Address(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void Strike_PastMax_BlockedForTheRestOfTheWindow_ThenServedAgain()
    {
        var table = new Http2AddressStrikes(64);
        var attacker = Address("192.0.2.7");

        for (var i = 0; i < 3; i++)
        {
            Assert.False(table.Strike(attacker, Start + i * Second, maxStrikes: 3, Window));
        }
        Assert.False(table.IsBlocked(attacker, Start + 3 * Second, 3, Window));
        Assert.True(table.Strike(attacker, Start + 4 * Second, 3, Window));

        Assert.True(table.IsBlocked(attacker, Start + 5 * Second, 3, Window));
        Assert.True(table.IsBlocked(attacker, Start + Window - 1, 3, Window));
        Assert.False(table.IsBlocked(attacker, Start + Window, 3, Window));
    }

    [Fact]
    public void Strike_AfterTheWindow_CountsFromZeroAgain()
    {
        var table = new Http2AddressStrikes(64);
        var client = Address("192.0.2.8");
        table.Strike(client, Start, 1, Window);

        Assert.False(table.Strike(client, Start + Window + 1, 1, Window));
        Assert.True(table.Strike(client, Start + Window + 2, 1, Window));
    }

    [Fact]
    public void Strikes_OfOneAddress_DoNotBlockAnother()
    {
        var table = new Http2AddressStrikes(64);
        for (var i = 0; i < 5; i++)
        {
            table.Strike(Address("127.0.0.1"), Start + i, 2, Window);
        }

        Assert.True(table.IsBlocked(Address("127.0.0.1"), Start + 10, 2, Window));
        Assert.False(table.IsBlocked(Address("127.0.0.2"), Start + 10, 2, Window));
        Assert.False(table.IsBlocked(Address("::1"), Start + 10, 2, Window));
    }

    [Fact]
    public void ManyAddresses_TableStaysItsSize_RecentOffenderKept()
    {
        var table = new Http2AddressStrikes(16);
        var offender = Address("198.51.100.1");
        for (var i = 0; i < 3; i++)
        {
            table.Strike(offender, Start + i, 2, Window);
        }
        // A sweep of single strikes from many addresses, all older than the offender's last one.
        for (var i = 0; i < 10_000; i++)
        {
            table.Strike(Address($"10.{i / 65536}.{i / 256 % 256}.{i % 256}"), Start - 1_000 + i % 1000, 2, Window);
        }

        Assert.Equal(16, table.Capacity);
        Assert.True(table.IsBlocked(offender, Start + 10, 2, Window));
    }

    [Fact]
    public void IsBlocked_EmptyTable_False()
    {
        Assert.False(new Http2AddressStrikes(64).IsBlocked(Address("127.0.0.1"), Start, 0, Window));
    }
}
