using System.Net;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class AddressParserTests
{
    [Theory]
    [InlineData("0.0.0.0:8080", "0.0.0.0", 8080)]
    [InlineData("127.0.0.1:1", "127.0.0.1", 1)]
    [InlineData("[::1]:8080", "::1", 8080)]
    [InlineData("[::]:65535", "::", 65535)]
    [InlineData("localhost:9901", "127.0.0.1", 9901)]
    [InlineData("LOCALHOST:9901", "127.0.0.1", 9901)]
    public void TryParseListen_Valid_ReturnsEndpoint(string text, string address, int port)
    {
        Assert.True(AddressParser.TryParseListen(text, out var endpoint, out var error), error);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1", "missing port")]
    [InlineData("127.0.0.1:0", "between 1 and 65535")]
    [InlineData("127.0.0.1:65536", "between 1 and 65535")]
    [InlineData("127.0.0.1:http", "not a port number")]
    [InlineData("127.0.0.1:", "not a port number")]
    [InlineData(":8080", "missing host")]
    [InlineData("::1:8080", "in brackets")]
    [InlineData("[::1:8080", "missing ']'")]
    [InlineData("[::1]8080", "expected ':port'")]
    [InlineData("[127.0.0.1]:80", "not an IPv6 address")]
    [InlineData("127.1:80", "not an IPv4 address")]
    [InlineData("300.0.0.1:80", "not an IPv4 address")]
    [InlineData("example.com:80", "must be an IP address or 'localhost'")]
    public void TryParseListen_Invalid_ReturnsError(string text, string expected)
    {
        Assert.False(AddressParser.TryParseListen(text, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void TryParseUpstream_HostName_ReturnsLowerCaseDnsEndPoint()
    {
        Assert.True(AddressParser.TryParseUpstream("API.internal:443", out var endpoint, out _));
        Assert.Equal(new DnsEndPoint("api.internal", 443), endpoint);
    }

    [Theory]
    [InlineData("10.0.0.7:8080", "10.0.0.7", 8080)]
    [InlineData("[2001:db8::1]:443", "2001:db8::1", 443)]
    [InlineData("localhost:9001", "127.0.0.1", 9001)]
    public void TryParseUpstream_IpOrLocalhost_ReturnsIpEndPoint(string text, string address, int port)
    {
        Assert.True(AddressParser.TryParseUpstream(text, out var endpoint, out var error), error);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("bad_host!:80", "not a valid host name")]
    [InlineData("-lead.example:80", "not a valid host name")]
    [InlineData("a..b:80", "not a valid host name")]
    [InlineData("api.internal", "missing port")]
    [InlineData("api.internal:0", "between 1 and 65535")]
    public void TryParseUpstream_Invalid_ReturnsError(string text, string expected)
    {
        Assert.False(AddressParser.TryParseUpstream(text, out _, out var error));
        Assert.Contains(expected, error);
    }
}
