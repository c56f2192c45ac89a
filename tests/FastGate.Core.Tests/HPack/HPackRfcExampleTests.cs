using System.Buffers;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// RFC 7541 Appendix C: every example decodes to its header list and table size, and our encoder writes
/// the example's bytes wherever the RFC's choices (indexing, Huffman) are ours.
/// </summary>
public sealed class HPackRfcExampleTests
{
    private static readonly (string, string)[] Request1 =
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")];

    private static readonly (string, string)[] Request2 = [.. Request1, ("cache-control", "no-cache")];

    private static readonly (string, string)[] Request3 =
    [
        (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"),
        ("custom-key", "custom-value"),
    ];

    private static readonly (string, string)[] Response1 =
    [
        (":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ];

    private static readonly (string, string)[] Response2 = [(":status", "307"), .. Response1[1..]];

    private static readonly (string, string)[] Response3 =
    [
        (":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        ("location", "https://www.example.com"), ("content-encoding", "gzip"),
        ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
    ];

    private const string C31 = "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d";
    private const string C32 = "8286 84be 5808 6e6f 2d63 6163 6865";
    private const string C33 = "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65";
    private const string C41 = "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff";
    private const string C42 = "8286 84be 5886 a8eb 1064 9cbf";
    private const string C43 = "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf";

    private const string C51 =
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d "
        + "546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d";
    private const string C52 = "4803 3330 37c1 c0bf";
    // Up to the set-cookie field, then RFC's incremental literal (0x77, name 55) with its raw value.
    private const string C53Head =
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970";
    private const string C53SetCookie =
        "7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 "
        + "6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31";

    private const string C61 =
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 "
        + "8f0b 97c8 e9ae 82ae 43d3";
    private const string C62 = "4883 640e ffc1 c0bf";
    private const string C63Head =
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab";
    private const string C63SetCookie =
        "77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07";

    [Theory]
    [InlineData(10, 5, "0a")] // C.1.1
    [InlineData(1337, 5, "1f9a0a")] // C.1.2
    [InlineData(42, 8, "2a")] // C.1.3
    public void Integer_RfcExamples_EncodeAndDecode(int value, int prefixBits, string hex)
    {
        Span<byte> buffer = stackalloc byte[HPackInteger.MaxLength];
        int written = HPackInteger.Encode(buffer, value, prefixBits, 0);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer[..written]));

        byte[] encoded = Convert.FromHexString(hex);
        int position = 0;
        Assert.Equal(HPackError.None, HPackInteger.Decode(encoded, ref position, prefixBits, out int decoded));
        Assert.Equal(value, decoded);
        Assert.Equal(encoded.Length, position);
    }

    [Fact]
    public void Decode_C2_LiteralRepresentations()
    {
        AssertDecodes(new HPackDecoder(), "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", [("custom-key", "custom-header")], 55);
        AssertDecodes(new HPackDecoder(), "040c 2f73 616d 706c 652f 7061 7468", [(":path", "/sample/path")], 0);
        AssertDecodes(new HPackDecoder(), "1008 7061 7373 776f 7264 0673 6563 7265 74", [("password", "secret")], 0);
        AssertDecodes(new HPackDecoder(), "82", [(":method", "GET")], 0);
    }

    [Fact]
    public void Decode_C3AndC4_RequestsShareTheTable()
    {
        var plain = new HPackDecoder();
        AssertDecodes(plain, C31, Request1, 57);
        AssertDecodes(plain, C32, Request2, 110);
        AssertDecodes(plain, C33, Request3, 164);

        var huffman = new HPackDecoder();
        AssertDecodes(huffman, C41, Request1, 57);
        AssertDecodes(huffman, C42, Request2, 110);
        AssertDecodes(huffman, C43, Request3, 164);
    }

    [Fact]
    public void Decode_C5AndC6_ResponsesEvictFromA256ByteTable()
    {
        var plain = new HPackDecoder(maxTableSize: 256);
        AssertDecodes(plain, C51, Response1, 222);
        AssertDecodes(plain, C52, Response2, 222);
        AssertDecodes(plain, C53Head + C53SetCookie, Response3, 215);
        Assert.Equal(3, plain.TableCount);

        var huffman = new HPackDecoder(maxTableSize: 256);
        AssertDecodes(huffman, C61, Response1, 222);
        AssertDecodes(huffman, C62, Response2, 222);
        AssertDecodes(huffman, C63Head + C63SetCookie, Response3, 215);
        Assert.Equal(3, huffman.TableCount);
    }

    [Fact]
    public void Encode_C2_LiteralWithIndexingAndNeverIndexed()
    {
        var encoder = new HPackEncoder { UseHuffman = false };
        Assert.Equal(Hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), Encode(encoder, [("custom-key", "custom-header")]));
        Assert.Equal(Hex("1008 7061 7373 776f 7264 0673 6563 7265 74"), Encode(new HPackEncoder { UseHuffman = false }, [("password", "secret")], neverIndex: true));
        Assert.Equal(Hex("82"), Encode(new HPackEncoder { UseHuffman = false }, [(":method", "GET")]));
    }

    [Fact]
    public void Encode_C3_RequestsWithoutHuffman_MatchTheRfc()
    {
        var encoder = new HPackEncoder { UseHuffman = false };
        Assert.Equal(Hex(C31), Encode(encoder, Request1));
        Assert.Equal(Hex(C32), Encode(encoder, Request2));
        Assert.Equal(Hex(C33), Encode(encoder, Request3));
    }

    [Fact]
    public void Encode_C4_RequestsWithHuffman_MatchTheRfc()
    {
        var encoder = new HPackEncoder();
        Assert.Equal(Hex(C41), Encode(encoder, Request1));
        Assert.Equal(Hex(C42), Encode(encoder, Request2));
        Assert.Equal(Hex(C43), Encode(encoder, Request3));
    }

    [Fact]
    public void Encode_C5_ResponsesWithoutHuffman_MatchTheRfcButSetCookieNeverIndexed()
    {
        var encoder = new HPackEncoder(maxTableSize: 256) { UseHuffman = false };
        Assert.Equal(Hex(C51), Encode(encoder, Response1));
        Assert.Equal(Hex(C52), Encode(encoder, Response2));
        // The RFC indexes set-cookie; we never index it (RFC 7541 §7.1.3): 0001 1111 + 40 = index 55.
        Assert.Equal(Hex(C53Head + "1f28" + C53SetCookie[2..]), Encode(encoder, Response3));
    }

    [Fact]
    public void Encode_C6_ResponsesWithHuffman_MatchTheRfcWhereHuffmanIsShorter()
    {
        var encoder = new HPackEncoder(maxTableSize: 256);
        Assert.Equal(Hex(C61), Encode(encoder, Response1));
        // "307" is 3 bytes in Huffman and in plain: the RFC takes Huffman (83 640eff), we take plain (03 333037).
        Assert.Equal(Hex("4803 3330 37c1 c0bf"), Encode(encoder, Response2));
        // set-cookie never indexed (0x1f 0x28) instead of the RFC's 0x77; its Huffman value is the RFC's.
        Assert.Equal(Hex(C63Head + "1f28" + C63SetCookie[2..]), Encode(encoder, Response3));
    }

    [Fact]
    public void Huffman_EveryByteValue_RoundTrips()
    {
        byte[] all = new byte[256];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = (byte)i;
        }

        var encoder = new HPackEncoder(maxTableSize: 0);
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(output, "x-bytes"u8, all);
        encoder.Encode(output, "x-text"u8, "Mon, 21 Oct 2013 20:13:21 GMT; q=0.9, */*"u8);
        var decoder = new HPackDecoder();
        var sink = new ByteSink();

        Assert.Equal(HPackError.None, decoder.Decode(output.WrittenSpan, sink));
        Assert.Equal(all, sink.Values[0]);
        Assert.Equal("Mon, 21 Oct 2013 20:13:21 GMT; q=0.9, */*"u8.ToArray(), sink.Values[1]);
    }

    private static void AssertDecodes(HPackDecoder decoder, string hex, (string, string)[] expected, int tableSize)
    {
        (HPackError error, var headers) = HPackTestSink.Decode(decoder, Hex(hex));
        Assert.Equal(HPackError.None, error);
        Assert.Equal(expected, headers);
        Assert.Equal(tableSize, decoder.TableSize);
    }

    private static byte[] Encode(HPackEncoder encoder, (string Name, string Value)[] fields, bool neverIndex = false)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        foreach ((string name, string value) in fields)
        {
            encoder.Encode(output, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value), neverIndex);
        }

        return output.WrittenSpan.ToArray();
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private sealed class ByteSink : IHPackHeaderSink
    {
        public List<byte[]> Values { get; } = [];

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Values.Add(value.ToArray());
    }
}
