using System.Buffers;
using FastGate.Core.ProxyProtocol;
using static FastGate.Core.Tests.ProxyProtocol.ProxyProtocolTestHelpers;

namespace FastGate.Core.Tests.ProxyProtocol;

public class ProxyProtocolReaderTests
{
    private const string Ffff6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

    /// <summary>Valid headers and what they read as; the spec's v1 examples first.</summary>
    public static TheoryData<string, byte[], string> ValidHeaders() => new()
    {
        { "spec v1 TCP4", Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"), "V1 PROXY TCP4 192.168.0.1:56324 192.168.0.11:443 len=47" },
        { "spec v1 TCP4 longest", Ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"), "V1 PROXY TCP4 255.255.255.255:65535 255.255.255.255:65535 len=56" },
        { "spec v1 TCP6 longest", Ascii($"PROXY TCP6 {Ffff6} {Ffff6} 65535 65535\r\n"), $"V1 PROXY TCP6 [{Ffff6}]:65535 [{Ffff6}]:65535 len=104" },
        { "spec v1 UNKNOWN short", Ascii("PROXY UNKNOWN\r\n"), "V1 PROXY UNKNOWN - - len=15" },
        { "spec v1 UNKNOWN longest", Ascii($"PROXY UNKNOWN {Ffff6} {Ffff6} 65535 65535\r\n"), "V1 PROXY UNKNOWN - - len=107" },
        { "v1 TCP4 zeros", Ascii("PROXY TCP4 0.0.0.0 10.0.0.1 0 80\r\n"), "V1 PROXY TCP4 0.0.0.0:0 10.0.0.1:80 len=34" },
        { "v1 TCP6 compressed", Ascii("PROXY TCP6 2001:db8::1 ::1 40000 8080\r\n"), "V1 PROXY TCP6 [2001:db8::1]:40000 [::1]:8080 len=39" },
        { "v1 TCP6 upper case, gap at end", Ascii("PROXY TCP6 FE80:0:0:0:0:0:0:1 1:: 1 2\r\n"), "V1 PROXY TCP6 [fe80::1]:1 [1::]:2 len=39" },
        { "v1 TCP6 embedded IPv4", Ascii("PROXY TCP6 ::ffff:10.1.2.3 :: 1 2\r\n"), "V1 PROXY TCP6 [::ffff:10.1.2.3]:1 [::]:2 len=35" },
        { "v2 TCP4", V2(0x21, 0x11, Block("192.168.0.1", "192.168.0.11", 56324, 443)), "V2 PROXY TCP4 192.168.0.1:56324 192.168.0.11:443 len=28" },
        { "v2 TCP6", V2(0x21, 0x21, Block("2001:db8::7", "2001:db8::1", 1234, 443)), "V2 PROXY TCP6 [2001:db8::7]:1234 [2001:db8::1]:443 len=52" },
        { "v2 TCP4 with TLVs", V2(0x21, 0x11, Block("10.0.0.9", "10.0.0.1", 5000, 80, [.. Tlv(0x02, 11), .. Tlv(0x04, 0), .. Tlv(0x05, 300)])), "V2 PROXY TCP4 10.0.0.9:5000 10.0.0.1:80 len=348" },
        { "v2 LOCAL with addresses", V2(0x20, 0x11, Block("10.0.0.9", "10.0.0.1", 5000, 80)), "V2 LOCAL UNKNOWN - - len=28" },
        { "v2 LOCAL unspecified", V2(0x20, 0x00, []), "V2 LOCAL UNKNOWN - - len=16" },
        { "v2 LOCAL ignores its block", V2(0x20, 0x00, [1, 2, 3]), "V2 LOCAL UNKNOWN - - len=19" },
        { "v2 PROXY unspecified", V2(0x21, 0x00, [9, 9]), "V2 PROXY UNKNOWN - - len=18" },
        { "v2 UDP4 is no TCP client", V2(0x21, 0x12, Block("10.0.0.9", "10.0.0.1", 53, 53)), "V2 PROXY UNKNOWN - - len=28" },
        { "v2 Unix stream", V2(0x21, 0x31, new byte[216]), "V2 PROXY UNKNOWN - - len=232" },
        { "v2 at the size cap", V2(0x21, 0x11, Block("10.0.0.9", "10.0.0.1", 1, 2, Tlv(0x04, ProxyProtocolReader.MaxV2Length - 16 - 12 - 3))), "V2 PROXY TCP4 10.0.0.9:1 10.0.0.1:2 len=4096" },
    };

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryRead_ValidHeader_ReadsIt(string name, byte[] header, string expected)
    {
        _ = name;
        Assert.Equal(expected, Read(new ReadOnlySequence<byte>(header)));
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryRead_ValidHeaderFollowedByRequest_ConsumesOnlyTheHeader(string name, byte[] header, string expected)
    {
        _ = name;
        byte[] input = [.. header, .. Ascii("GET / HTTP/1.1\r\n\r\n")];
        Assert.Equal(expected, Read(new ReadOnlySequence<byte>(input)));
        ProxyProtocolReader.TryRead(new ReadOnlySequence<byte>(input), out var read, out _);
        Assert.Equal(header.Length, read.Length);
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryRead_EveryProperPrefix_NeedsMore(string name, byte[] header, string expected)
    {
        _ = name;
        _ = expected;
        for (var length = 0; length < header.Length; length++)
        {
            Assert.True(ProxyProtocolReader.TryRead(header.AsSpan(0, length), out _, out _) == ProxyReadStatus.NeedMore, $"prefix of {length} bytes");
        }
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryRead_SplitAtEveryByte_ReadsTheSame(string name, byte[] header, string expected)
    {
        _ = name;
        byte[] input = [.. header, .. Ascii("GET /")];
        for (var cut = 1; cut < input.Length; cut++)
        {
            Assert.Equal(expected, Read(Sequence(input, cut)));
        }
        Assert.Equal(expected, Read(Sequence(input, Enumerable.Range(1, input.Length).ToArray())));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", ProxyHeaderError.Signature)]
    [InlineData("G", ProxyHeaderError.Signature)]
    [InlineData("PROXZ", ProxyHeaderError.Signature)]
    [InlineData("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderError.Signature)]
    [InlineData("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", ProxyHeaderError.Port)]
    [InlineData("PROXY \r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY UNKNOWNX\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", ProxyHeaderError.Syntax)]
    [InlineData("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP4 1.2..4 5.6.7.8 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP4 ::1 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP4 a.b.c.d 5.6.7.8 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 1::2::3 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 :1 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 1: ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 1::2:3:4:5:6:7:8 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 12345::1 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:1.2.3.4 ::1 1 2\r\n", ProxyHeaderError.Address)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", ProxyHeaderError.Port)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", ProxyHeaderError.Port)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", ProxyHeaderError.Port)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 999999\r\n", ProxyHeaderError.Port)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 +2\r\n", ProxyHeaderError.Port)]
    public void TryRead_MalformedV1_IsInvalid(string input, ProxyHeaderError expected)
    {
        Assert.Equal($"invalid {expected}", Read(new ReadOnlySequence<byte>(Ascii(input))));
    }

    [Fact]
    public void TryRead_V1WithoutLineEndInFirst107Bytes_IsTooLong()
    {
        var line = Ascii("PROXY UNKNOWN " + new string('a', 200));
        Assert.Equal(ProxyReadStatus.NeedMore, ProxyProtocolReader.TryRead(line.AsSpan(0, 106), out _, out _));
        Assert.Equal("invalid TooLong", Read(new ReadOnlySequence<byte>(line, 0, 107)));
        Assert.Equal("invalid TooLong", Read(Sequence(line, 50, 100)));
    }

    [Fact]
    public void TryRead_V1LineOf108Bytes_IsTooLong()
    {
        var line = Ascii($"PROXY UNKNOWN {Ffff6} {Ffff6} 65535 655351\r\n");
        Assert.Equal(108, line.Length);
        Assert.Equal("invalid TooLong", Read(new ReadOnlySequence<byte>(line)));
    }

    public static TheoryData<string, byte[], ProxyHeaderError> MalformedV2() => new()
    {
        { "bad signature byte", [.. ProxyProtocolReader.V2Signature[..11], 0x0B, 0x21, 0x11, 0, 12], ProxyHeaderError.Signature },
        { "signature cut by garbage", [0x0D, 0x0A, 0x0D, 0x0A, 0x01], ProxyHeaderError.Signature },
        { "version 1", V2(0x11, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Version },
        { "version 3", V2(0x31, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Version },
        { "command 2", V2(0x22, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Command },
        { "command 15", V2(0x2F, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Command },
        { "family 0x10", V2(0x21, 0x10, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Family },
        { "family 0x13", V2(0x21, 0x13, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Family },
        { "family 0x41", V2(0x21, 0x41, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Family },
        { "length 65535", V2(0x21, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2), declaredLength: 65535), ProxyHeaderError.TooLong },
        { "length one past the cap", V2(0x21, 0x11, [], declaredLength: ProxyProtocolReader.MaxV2Length - 15), ProxyHeaderError.TooLong },
        { "TCP4 block too short", V2(0x21, 0x11, new byte[11]), ProxyHeaderError.Length },
        { "TCP6 block of an IPv4 size", V2(0x21, 0x21, Block("1.2.3.4", "5.6.7.8", 1, 2)), ProxyHeaderError.Length },
        { "Unix block too short", V2(0x21, 0x31, new byte[215]), ProxyHeaderError.Length },
        { "TLV past the end", V2(0x21, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2, [0x02, 0, 5, 1, 2])), ProxyHeaderError.Tlv },
        { "TLV header cut", V2(0x21, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2, [0x04, 0])), ProxyHeaderError.Tlv },
        { "TLV length overflowing 16 bits", V2(0x21, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2, [0x04, 0xFF, 0xFF])), ProxyHeaderError.Tlv },
    };

    [Theory]
    [MemberData(nameof(MalformedV2))]
    public void TryRead_MalformedV2_IsInvalid(string name, byte[] input, ProxyHeaderError expected)
    {
        _ = name;
        Assert.Equal($"invalid {expected}", Read(new ReadOnlySequence<byte>(input)));
        Assert.Equal($"invalid {expected}", Read(Sequence(input, 3, 13, 17)));
    }

    [Fact]
    public void TryRead_V2HeadOfAnOversizedHeader_IsRefusedBeforeTheBodyArrives()
    {
        byte[] head = [.. ProxyProtocolReader.V2Signature, 0x21, 0x11, 0xFF, 0xFF];
        Assert.Equal("invalid TooLong", Read(new ReadOnlySequence<byte>(head)));
    }

    [Fact]
    public void TryRead_V2BadVersionByte_IsRefusedAsSoonAsItArrives()
    {
        byte[] head = [.. ProxyProtocolReader.V2Signature, 0x11];
        Assert.Equal("invalid Version", Read(new ReadOnlySequence<byte>(head)));
    }

    [Fact]
    public void TryRead_TruncatedV2_NeedsMore()
    {
        var header = V2(0x21, 0x11, Block("1.2.3.4", "5.6.7.8", 1, 2));
        Assert.Equal("need-more", Read(new ReadOnlySequence<byte>(header, 0, header.Length - 1)));
    }

    [Fact]
    public void TryRead_WholeAndSplitHeaders_AllocateNothing()
    {
        var v1 = new ReadOnlySequence<byte>(Ascii("PROXY TCP6 2001:db8::1 ::1 40000 8080\r\n"));
        var v2 = Sequence(V2(0x21, 0x11, Block("10.0.0.9", "10.0.0.1", 5000, 80, Tlv(0x02, 11))), 5, 20);
        ProxyProtocolReader.TryRead(v1, out _, out _);
        ProxyProtocolReader.TryRead(v2, out _, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            ProxyProtocolReader.TryRead(v1, out _, out _);
            ProxyProtocolReader.TryRead(v2, out _, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TryRead_Empty_NeedsMore()
    {
        Assert.Equal("need-more", Read(ReadOnlySequence<byte>.Empty));
    }

    [Fact]
    public void TryRead_RandomBytes_NeverThrows()
    {
        var random = new Random(9);
        var buffer = new byte[200];
        for (var i = 0; i < 20000; i++)
        {
            random.NextBytes(buffer);
            var length = random.Next(buffer.Length);
            // Start most inputs with a valid prefix so the checks past it are reached.
            switch (i % 3)
            {
                case 0:
                    "PROXY TCP"u8.CopyTo(buffer);
                    break;
                case 1:
                    ProxyProtocolReader.V2Signature.CopyTo(buffer);
                    buffer[12] = (byte)(0x20 | (buffer[12] & 1));
                    buffer[14] = 0;
                    break;
            }
            var status = ProxyProtocolReader.TryRead(buffer.AsSpan(0, length), out var header, out var error);
            Assert.Equal(status == ProxyReadStatus.Invalid, error != ProxyHeaderError.None);
            if (status == ProxyReadStatus.Done)
            {
                Assert.InRange(header.Length, 1, length);
            }
        }
    }
}
