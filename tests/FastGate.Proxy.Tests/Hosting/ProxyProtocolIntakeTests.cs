using System.Net;
using System.Text;
using FastGate.Core.ProxyProtocol;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Tests.Hosting;

public class ProxyProtocolIntakeTests
{
    private static readonly byte[] Loopback = [127, 0, 0, 1];

    private static ListenerModel Listener(TimeSpan? headerTimeout = null) => new()
    {
        Name = "web",
        Endpoint = new IPEndPoint(IPAddress.Loopback, 8080),
        Limits = new LimitsModel { HeaderTimeout = headerTimeout ?? TimeSpan.FromSeconds(30) },
        ProxyProtocol = true,
        ProxyProtocolFrom = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")],
    };

    private static async Task<string> Remaining(InMemoryTransport server)
    {
        var read = await server.Input.ReadAsync();
        var text = Encoding.ASCII.GetString(read.Buffer);
        server.Input.AdvanceTo(read.Buffer.End);
        return text;
    }

    [Fact]
    public void For_ListenerWithoutProxyProtocol_IsNull()
    {
        Assert.Null(ProxyProtocolIntake.For(Listener() with { ProxyProtocol = false }));
        Assert.Null(ProxyProtocolIntake.For(null));
    }

    [Fact]
    public async Task ReadAsync_V1Header_GivesItsSourceAndLeavesTheRequest()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        var metrics = new ProxyProtocolMetrics();
        await client.Output.WriteAsync(Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\r\nGET / HTTP/1.1\r\n"));

        var result = await ProxyProtocolIntake.For(Listener())!.ReadAsync(server, Loopback, 40000, metrics);

        Assert.Equal(ProxyIntakeOutcome.Accepted, result.Outcome);
        Assert.Equal("203.0.113.7", new IPAddress(result.ClientIp).ToString());
        Assert.Equal(51000, result.ClientPort);
        Assert.Equal("10.0.0.1", new IPAddress(result.TargetIp!).ToString());
        Assert.Equal(80, result.TargetPort);
        Assert.Equal("GET / HTTP/1.1\r\n", await Remaining(server));
        Assert.Equal(1, metrics.AcceptedCount("web", ProxyVersion.V1));
    }

    [Fact]
    public async Task ReadAsync_V2HeaderInPieces_GivesItsSource()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        var header = new byte[ProxyProtocolWriter.MaxLength];
        var length = ProxyProtocolWriter.WriteV2(header, IPAddress.Parse("2001:db8::9").GetAddressBytes(), 443, IPAddress.Parse("2001:db8::1").GetAddressBytes(), 8443);
        var intake = ProxyProtocolIntake.For(Listener())!.ReadAsync(server, Loopback, 40000, new ProxyProtocolMetrics());
        for (var i = 0; i < length; i++)
        {
            await client.Output.WriteAsync(header.AsMemory(i, 1));
        }
        await client.Output.WriteAsync("x"u8.ToArray());

        var result = await intake;

        Assert.Equal(ProxyIntakeOutcome.Accepted, result.Outcome);
        Assert.Equal("2001:db8::9", new IPAddress(result.ClientIp).ToString());
        Assert.Equal("x", await Remaining(server));
    }

    [Fact]
    public async Task ReadAsync_LocalCommand_KeepsThePeer()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        byte[] local = [.. ProxyProtocolReader.V2Signature, 0x20, 0x00, 0, 0];
        await client.Output.WriteAsync(local);

        var result = await ProxyProtocolIntake.For(Listener())!.ReadAsync(server, Loopback, 40000, new ProxyProtocolMetrics());

        Assert.Equal(ProxyIntakeOutcome.Accepted, result.Outcome);
        Assert.Equal(Loopback, result.ClientIp);
        Assert.Equal(40000, result.ClientPort);
        Assert.False(result.Proxied);
    }

    [Fact]
    public async Task ReadAsync_UntrustedPeer_IsRefusedUnread()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        var metrics = new ProxyProtocolMetrics();
        await client.Output.WriteAsync(Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\r\n"));

        var result = await ProxyProtocolIntake.For(Listener())!.ReadAsync(server, [192, 0, 2, 1], 40000, metrics);

        Assert.Equal(ProxyIntakeOutcome.Untrusted, result.Outcome);
        var text = new StringBuilder();
        metrics.WriteTo(text);
        Assert.Contains("fastgate_proxy_protocol_untrusted_total{listener=\"web\"} 1\n", text.ToString());
    }

    [Fact]
    public async Task ReadAsync_Ipv4MappedPeer_IsTrustedAsItsIpv4Address()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        await client.Output.WriteAsync(Encoding.ASCII.GetBytes("PROXY UNKNOWN\r\n"));

        var result = await ProxyProtocolIntake.For(Listener())!.ReadAsync(server, IPAddress.Parse("::ffff:127.0.0.1").GetAddressBytes(), 1, new ProxyProtocolMetrics());

        Assert.Equal(ProxyIntakeOutcome.Accepted, result.Outcome);
    }

    [Fact]
    public async Task ReadAsync_Garbage_IsInvalidAndCounted()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        var metrics = new ProxyProtocolMetrics();
        await client.Output.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        var result = await ProxyProtocolIntake.For(Listener())!.ReadAsync(server, Loopback, 1, metrics);

        Assert.Equal(ProxyIntakeOutcome.Invalid, result.Outcome);
        var text = new StringBuilder();
        metrics.WriteTo(text);
        Assert.Contains("fastgate_proxy_protocol_rejected_total{listener=\"web\",reason=\"signature\"} 1\n", text.ToString());
    }

    [Fact]
    public async Task ReadAsync_PeerClosesMidHeader_IsClosed()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        await client.Output.WriteAsync("PROXY TCP4 203.0"u8.ToArray());
        client.Output.Complete();

        var result = await ProxyProtocolIntake.For(Listener())!.ReadAsync(server, Loopback, 1, new ProxyProtocolMetrics());

        Assert.Equal(ProxyIntakeOutcome.Closed, result.Outcome);
    }

    [Fact]
    public async Task ReadAsync_PeerClosesWithoutAByte_IsCountedAsEmptyNotTruncated()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        var metrics = new ProxyProtocolMetrics();
        client.Output.Complete();

        var result = await ProxyProtocolIntake.For(Listener())!.ReadAsync(server, Loopback, 1, metrics);

        Assert.Equal(ProxyIntakeOutcome.Closed, result.Outcome);
        var text = new StringBuilder();
        metrics.WriteTo(text);
        Assert.Contains("fastgate_proxy_protocol_rejected_total{listener=\"web\",reason=\"empty\"} 1\n", text.ToString());
        Assert.Contains("fastgate_proxy_protocol_rejected_total{listener=\"web\",reason=\"truncated\"} 0\n", text.ToString());
    }

    [Fact]
    public async Task ReadAsync_NoHeaderWithinTheHeaderTimeout_TimesOut()
    {
        var (client, server) = InMemoryTransport.CreatePair();
        await client.Output.WriteAsync("PROXY "u8.ToArray());

        var result = await ProxyProtocolIntake.For(Listener(TimeSpan.FromMilliseconds(50)))!.ReadAsync(server, Loopback, 1, new ProxyProtocolMetrics());

        Assert.Equal(ProxyIntakeOutcome.TimedOut, result.Outcome);
    }
}
