using System.Buffers;
using System.Net;
using System.Text;
using FastGate.Core.ProxyProtocol;
using static FastGate.Core.Tests.ProxyProtocol.ProxyProtocolTestHelpers;

namespace FastGate.Core.Tests.ProxyProtocol;

public class ProxyProtocolWriterTests
{
    private static byte[] Ip(string text) => IPAddress.Parse(text).GetAddressBytes();

    private static string WriteV1(string source, ushort sourcePort, string target, ushort targetPort)
    {
        var buffer = new byte[ProxyProtocolWriter.MaxLength];
        var written = ProxyProtocolWriter.WriteV1(buffer, Ip(source), sourcePort, Ip(target), targetPort);
        return Encoding.ASCII.GetString(buffer, 0, written);
    }

    [Theory]
    [InlineData("192.168.0.1", 56324, "192.168.0.11", 443, "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("255.255.255.255", 65535, "0.0.0.0", 0, "PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n")]
    [InlineData("2001:db8::1", 40000, "::1", 8080, "PROXY TCP6 2001:db8::1 ::1 40000 8080\r\n")]
    [InlineData("2001:db8:0:0:1:0:0:1", 1, "fe80::", 2, "PROXY TCP6 2001:db8::1:0:0:1 fe80:: 1 2\r\n")]
    [InlineData("2001:db8:1:2:3:4:5:6", 1, "::", 2, "PROXY TCP6 2001:db8:1:2:3:4:5:6 :: 1 2\r\n")]
    [InlineData("1:0:2:0:3:0:4:0", 1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 2, "PROXY TCP6 1:0:2:0:3:0:4:0 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 1 2\r\n")]
    [InlineData("::ffff:10.1.2.3", 5000, "::ffff:10.0.0.1", 80, "PROXY TCP4 10.1.2.3 10.0.0.1 5000 80\r\n")]
    [InlineData("::ffff:10.1.2.3", 5000, "2001:db8::1", 80, "PROXY TCP6 ::ffff:a01:203 2001:db8::1 5000 80\r\n")]
    [InlineData("10.1.2.3", 5000, "2001:db8::1", 80, "PROXY TCP6 ::ffff:a01:203 2001:db8::1 5000 80\r\n")]
    public void WriteV1_Addresses_WritesTheSpecLine(string source, ushort sourcePort, string target, ushort targetPort, string expected)
    {
        Assert.Equal(expected, WriteV1(source, sourcePort, target, targetPort));
    }

    [Fact]
    public void WriteV1_UnknownAddress_WritesUnknown()
    {
        var buffer = new byte[ProxyProtocolWriter.MaxLength];
        var written = ProxyProtocolWriter.WriteV1(buffer, [], 0, Ip("10.0.0.1"), 80);
        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(buffer, 0, written));
    }

    [Theory]
    [InlineData(ProxyVersion.V1, "V1 PROXY UNKNOWN - - len=15")]
    [InlineData(ProxyVersion.V2, "V2 LOCAL UNKNOWN - - len=16")]
    public void WriteLocal_ReadsAsAHeaderThatKeepsThePeer(ProxyVersion version, string expected)
    {
        var buffer = new byte[ProxyProtocolWriter.MaxLength];
        var written = ProxyProtocolWriter.WriteLocal(version, buffer);
        Assert.Equal(expected, Read(new ReadOnlySequence<byte>(buffer, 0, written)));
    }

    [Fact]
    public void WriteV2_Ipv4_WritesTheSpecLayout()
    {
        var buffer = new byte[ProxyProtocolWriter.MaxLength];
        var written = ProxyProtocolWriter.WriteV2(buffer, Ip("192.168.0.1"), 56324, Ip("192.168.0.11"), 443);
        Assert.Equal(V2(0x21, 0x11, Block("192.168.0.1", "192.168.0.11", 56324, 443)), buffer[..written]);
    }

    [Fact]
    public void WriteV2_UnknownAddress_WritesProxyWithUnspecifiedFamily()
    {
        var buffer = new byte[ProxyProtocolWriter.MaxLength];
        var written = ProxyProtocolWriter.WriteV2(buffer, Ip("10.0.0.1"), 1, [1, 2], 2);
        Assert.Equal(V2(0x21, 0x00, []), buffer[..written]);
    }

    [Theory]
    [InlineData(ProxyVersion.V1, "10.1.2.3", 5000, "10.0.0.1", 80, "TCP4 10.1.2.3:5000 10.0.0.1:80")]
    [InlineData(ProxyVersion.V2, "10.1.2.3", 5000, "10.0.0.1", 80, "TCP4 10.1.2.3:5000 10.0.0.1:80")]
    [InlineData(ProxyVersion.V1, "2001:db8::7", 65535, "2001:db8::1", 0, "TCP6 [2001:db8::7]:65535 [2001:db8::1]:0")]
    [InlineData(ProxyVersion.V2, "2001:db8::7", 65535, "2001:db8::1", 0, "TCP6 [2001:db8::7]:65535 [2001:db8::1]:0")]
    [InlineData(ProxyVersion.V1, "::ffff:10.1.2.3", 1, "10.0.0.1", 2, "TCP4 10.1.2.3:1 10.0.0.1:2")]
    [InlineData(ProxyVersion.V2, "::ffff:10.1.2.3", 1, "10.0.0.1", 2, "TCP4 10.1.2.3:1 10.0.0.1:2")]
    [InlineData(ProxyVersion.V2, "10.1.2.3", 1, "::1", 2, "TCP6 [::ffff:10.1.2.3]:1 [::1]:2")]
    public void Write_ThenRead_GivesTheSameEndpoints(ProxyVersion version, string source, ushort sourcePort, string target, ushort targetPort, string expected)
    {
        var buffer = new byte[ProxyProtocolWriter.MaxLength + 5];
        var written = ProxyProtocolWriter.Write(version, buffer, Ip(source), sourcePort, Ip(target), targetPort);
        "GET /"u8.CopyTo(buffer.AsSpan(written));
        var read = Read(new ReadOnlySequence<byte>(buffer, 0, written + 5));
        Assert.Equal($"{version} PROXY {expected} len={written}", read);
    }

    [Fact]
    public void Write_RandomAddresses_RoundTripsThroughTheReader()
    {
        var random = new Random(17);
        var buffer = new byte[ProxyProtocolWriter.MaxLength];
        for (var i = 0; i < 5000; i++)
        {
            var ipv6 = i % 2 == 0;
            var source = new byte[ipv6 ? 16 : 4];
            var target = new byte[source.Length];
            random.NextBytes(source);
            random.NextBytes(target);
            // Runs of zero groups exercise the "::" forms.
            if (ipv6)
            {
                var start = random.Next(0, 8);
                Array.Clear(source, start * 2, random.Next(0, 8 - start + 1) * 2);
                Array.Clear(target, 0, random.Next(0, 9) * 2);
                if (source.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0)
                {
                    source[0] = 0x20; // not an IPv4-mapped address, which the writer turns into IPv4
                }
                if (target.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0)
                {
                    target[0] = 0x20;
                }
            }
            var sourcePort = (ushort)random.Next(65536);
            var targetPort = (ushort)random.Next(65536);
            foreach (var version in new[] { ProxyVersion.V1, ProxyVersion.V2 })
            {
                var written = ProxyProtocolWriter.Write(version, buffer, source, sourcePort, target, targetPort);
                Assert.Equal(ProxyReadStatus.Done, ProxyProtocolReader.TryRead(buffer.AsSpan(0, written), out var header, out _));
                Assert.Equal(written, header.Length);
                Assert.Equal(source, header.Source.Bytes.ToArray());
                Assert.Equal(target, header.Destination.Bytes.ToArray());
                Assert.Equal(sourcePort, header.Source.Port);
                Assert.Equal(targetPort, header.Destination.Port);
            }
        }
    }

    [Fact]
    public void WriteV1_Ipv6Text_MatchesTheRuntimesCanonicalForm()
    {
        var random = new Random(5);
        var buffer = new byte[ProxyProtocolWriter.MaxLength];
        for (var i = 0; i < 2000; i++)
        {
            var address = new byte[16];
            random.NextBytes(address);
            address[0] |= 0x20; // keep clear of the IPv4-compatible and mapped forms the runtime prints in dotted text
            var start = random.Next(1, 8);
            Array.Clear(address, start * 2, random.Next(0, 8 - start + 1) * 2);
            var written = ProxyProtocolWriter.WriteV1(buffer, address, 1, address, 2);
            var expected = new IPAddress(address).ToString();
            Assert.Equal($"PROXY TCP6 {expected} {expected} 1 2\r\n", Encoding.ASCII.GetString(buffer, 0, written));
        }
    }
}
