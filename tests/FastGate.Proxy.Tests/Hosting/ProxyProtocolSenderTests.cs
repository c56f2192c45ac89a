using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using FastGate.Core.ProxyProtocol;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Tests.Hosting;

public class ProxyProtocolSenderTests
{
    /// <summary>What <paramref name="write"/> puts on a pipe, followed by the client's first bytes.</summary>
    private static async Task<byte[]> WrittenAsync(Action<PipeWriter> write)
    {
        var pipe = new Pipe();
        write(pipe.Writer);
        await pipe.Writer.WriteAsync("hello"u8.ToArray());
        await pipe.Writer.CompleteAsync();
        var read = await pipe.Reader.ReadAtLeastAsync(1 << 20);
        return read.Buffer.ToArray();
    }

    [Fact]
    public async Task WriteHeader_V1Endpoints_PrecedesTheClientBytes()
    {
        var bytes = await WrittenAsync(output => ProxyProtocolSender.WriteHeader(
            output, ProxyVersion.V1, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51000), new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5432)));

        Assert.Equal("PROXY TCP4 203.0.113.7 10.0.0.1 51000 5432\r\nhello", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public async Task WriteHeader_V2DualStackMappedClient_WritesIpv4()
    {
        var bytes = await WrittenAsync(output => ProxyProtocolSender.WriteHeader(
            output, ProxyVersion.V2, new IPEndPoint(IPAddress.Parse("::ffff:203.0.113.7"), 51000), new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.1"), 5432)));

        Assert.Equal(ProxyReadStatus.Done, ProxyProtocolReader.TryRead(bytes, out var header, out _));
        Assert.Equal(ProxyFamily.TCP4, header.Family);
        Assert.Equal("203.0.113.7", new IPAddress(header.Source.Bytes).ToString());
        Assert.Equal("hello", Encoding.ASCII.GetString(bytes.AsSpan(header.Length)));
    }

    [Fact]
    public async Task WriteHeader_AfterAnIntakeThatNamedAClient_PassesItsViewOn()
    {
        var intake = new ProxyIntakeResult(ProxyIntakeOutcome.Accepted, [203, 0, 113, 7], 51000, [192, 0, 2, 1], 443);

        var bytes = await WrittenAsync(output => ProxyProtocolSender.WriteHeader(output, ProxyVersion.V1, intake, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 8443)));

        Assert.Equal("PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\nhello", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public async Task WriteHeader_AfterALocalIntake_NamesThePeerAndThisListener()
    {
        var intake = new ProxyIntakeResult(ProxyIntakeOutcome.Accepted, [127, 0, 0, 1], 40000, null, -1);

        var bytes = await WrittenAsync(output => ProxyProtocolSender.WriteHeader(output, ProxyVersion.V1, intake, new IPEndPoint(IPAddress.Parse("127.0.0.1"), 8443)));

        Assert.Equal("PROXY TCP4 127.0.0.1 127.0.0.1 40000 8443\r\nhello", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public async Task WriteHeader_NoClientEndpoint_SaysUnknown()
    {
        var bytes = await WrittenAsync(output => ProxyProtocolSender.WriteHeader(output, ProxyVersion.V1, null, new IPEndPoint(IPAddress.Loopback, 1)));

        Assert.Equal("PROXY UNKNOWN\r\nhello", Encoding.ASCII.GetString(bytes));
    }
}
