using System.Net;
using FastGate.Proxy.Config;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Tests.Stages.Transforms;

public class AddressRulesTests
{
    private static IPNetwork[] Networks(params string[] texts) =>
        [.. texts.Select(t => AddressParser.TryParseNetwork(t, out var n, out var e) ? n : throw new ArgumentException(e))];

    private static bool Permits(string[] allow, string[] deny, string client) =>
        new AddressRules(Networks(allow), Networks(deny)).Permits(IPAddress.Parse(client).GetAddressBytes());

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", true)]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.0.0.0/8", "9.255.255.255", false)]
    [InlineData("192.168.1.7/32", "192.168.1.7", true)]
    [InlineData("192.168.1.7", "192.168.1.8", false)]
    [InlineData("172.16.0.0/12", "172.31.255.255", true)]
    [InlineData("172.16.0.0/12", "172.32.0.0", false)]
    [InlineData("10.128.0.0/9", "10.127.255.255", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "203.0.113.9", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("::1/128", "::2", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1", true)]
    [InlineData("2001:db8:0:0:8000::/65", "2001:db8::7fff:0:0:1", false)]
    [InlineData("2001:db8::/127", "2001:db8::1", true)]
    [InlineData("2001:db8::/127", "2001:db8::2", false)]
    // A dual-stack socket shows an IPv4 client as ::ffff:a.b.c.d: it is still that IPv4 client.
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "::ffff:11.1.2.3", false)]
    [InlineData("::ffff:10.0.0.0/104", "10.1.2.3", true)]
    [InlineData("::ffff:0.0.0.0/96", "198.51.100.1", true)]
    [InlineData("0.0.0.0/0", "::ffff:198.51.100.1", true)]
    [InlineData("::/0", "::ffff:198.51.100.1", false)]
    public void Allow_OnlyListedAddresses_Pass(string network, string client, bool expected)
    {
        Assert.Equal(expected, Permits([network], [], client));
    }

    [Fact]
    public void Deny_WinsOverAllow()
    {
        string[] allow = ["10.0.0.0/8"];
        string[] deny = ["10.1.0.0/16"];

        Assert.True(Permits(allow, deny, "10.2.0.1"));
        Assert.False(Permits(allow, deny, "10.1.0.1"));
        Assert.False(Permits(allow, deny, "192.0.2.1"));
    }

    [Fact]
    public void DenyOnly_LetsEveryoneElseIn()
    {
        Assert.False(Permits([], ["127.0.0.1", "::1"], "127.0.0.1"));
        Assert.False(Permits([], ["127.0.0.1", "::1"], "::1"));
        Assert.True(Permits([], ["127.0.0.1", "::1"], "127.0.0.2"));
    }

    [Fact]
    public void UnknownAddress_PassesOnlyWithoutAnAllowList()
    {
        Assert.True(new AddressRules([], Networks("0.0.0.0/0")).Permits([]));
        Assert.False(new AddressRules(Networks("0.0.0.0/0"), []).Permits([]));
    }

    [Fact]
    public void Stage_RefusedClient_Answers403()
    {
        var stage = new AddressRulesStage(new AddressRules([], Networks("127.0.0.0/8")));
        var refused = TestExchange.Get("/", clientIp: "127.0.0.1");
        var allowed = TestExchange.Get("/", clientIp: "192.0.2.1");

        Assert.Equal(StageOutcome.Answered, TestExchange.RunRequestHead(stage, refused));
        Assert.Equal(403, refused.LocalStatus);
        Assert.Equal(StageOutcome.Continue, TestExchange.RunRequestHead(stage, allowed));
        Assert.Equal(0, allowed.LocalStatus);
    }
}
