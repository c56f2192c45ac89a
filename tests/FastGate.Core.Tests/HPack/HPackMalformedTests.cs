using System.Buffers;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// Bad header blocks end in the right <see cref="HPackError"/>, never in an exception: every cut of valid
/// blocks, one crafted block per error, and random bytes.
/// </summary>
public sealed class HPackMalformedTests
{
    /// <summary>
    /// Sequences of valid blocks, each given with the offsets where its representations end (as the
    /// encoder wrote them), so a cut can be told to fall between fields or inside one.
    /// </summary>
    public static TheoryData<string> Sequences() => new(["rfc-c4-requests", "rfc-c6-responses", "raw-data-story_00", "raw-data-story_24", "size-updates"]);

    [Theory]
    [MemberData(nameof(Sequences))]
    public void Decode_EveryCutOfEveryBlock_TruncatedOrWholeFieldsOnly(string sequence)
    {
        List<EncodedBlock> blocks = Build(sequence);
        for (int b = 0; b < blocks.Count; b++)
        {
            EncodedBlock block = blocks[b];
            for (int cut = 0; cut <= block.Bytes.Length; cut++)
            {
                // A fresh decoder brought to the state the block was written against.
                var decoder = new HPackDecoder(maxTableSize: 4096);
                for (int previous = 0; previous < b; previous++)
                {
                    Assert.Equal(HPackError.None, decoder.Decode(blocks[previous].Bytes, new HPackTestSink()));
                }

                (HPackError error, var headers) = HPackTestSink.Decode(decoder, block.Bytes.AsSpan(0, cut));

                // The fields whose representation ends at or before the cut are delivered, in order, and
                // nothing else; the block is whole (None) exactly when the cut falls on a representation's end.
                int whole = block.Ends.Count(end => end <= cut);
                int fields = block.Ends.Take(whole).Count(end => block.FieldEnds.Contains(end));
                bool atBoundary = cut == 0 || block.Ends.Contains(cut);
                Assert.True(
                    (atBoundary ? HPackError.None : HPackError.Truncated) == error,
                    $"{sequence} block {b} cut at {cut} of {block.Bytes.Length}: {error}");
                Assert.Equal(block.Headers.Take(fields), headers);
            }
        }
    }

    [Theory]
    // Indexed field, 7-bit prefix full, then continuation bytes past 2^31 - 1.
    [InlineData("ff ff ff ff ff 0f", HPackError.IntegerOverflow)]
    // 127 + 0x7FFFFF81 = 2^31 exactly: one past the largest value.
    [InlineData("ff 81 ff ff ff 07", HPackError.IntegerOverflow)]
    // Six continuation bytes (leading zero groups) for the value 127: more than any 31-bit value needs.
    [InlineData("ff 80 80 80 80 80 00", HPackError.IntegerOverflow)]
    // A string length that overflows.
    [InlineData("00 7f ff ff ff ff 0f", HPackError.IntegerOverflow)]
    // The largest 31-bit value decodes, and is an index past the tables.
    [InlineData("ff 80 ff ff ff 07", HPackError.BadIndex)]
    // Index 0 (RFC 7541 §6.1).
    [InlineData("80", HPackError.BadIndex)]
    // Index 62 with an empty dynamic table, as a field and as a literal's name.
    [InlineData("be", HPackError.BadIndex)]
    [InlineData("7e 01 61", HPackError.BadIndex)]
    [InlineData("0f 2f 01 61", HPackError.BadIndex)]
    // Huffman value holding EOS (30 one bits, then padding).
    [InlineData("00 01 78 84 ff ff ff ff", HPackError.BadHuffman)]
    // 'a' (00011) then eleven padding bits: more than 7.
    [InlineData("00 01 78 82 1f ff", HPackError.BadHuffman)]
    // 'a' (00011) then padding 110: not all ones.
    [InlineData("00 01 78 81 1e", HPackError.BadHuffman)]
    // Eight padding ones and no symbol; the same faults in a name; a whole byte of zero padding.
    [InlineData("00 01 78 81 ff", HPackError.BadHuffman)]
    [InlineData("00 81 1e 01 61", HPackError.BadHuffman)]
    [InlineData("00 01 78 82 1f 00", HPackError.BadHuffman)]
    // Size update to 4097 with 4096 announced.
    [InlineData("3f e2 1f", HPackError.TableSizeTooLarge)]
    // Size update after a field.
    [InlineData("82 20", HPackError.MisplacedTableSizeUpdate)]
    [InlineData("20 82 3f e1 1f", HPackError.MisplacedTableSizeUpdate)]
    // Ends inside an integer, a name, a value, and after a literal's first byte.
    [InlineData("ff", HPackError.Truncated)]
    [InlineData("40 05 61 62", HPackError.Truncated)]
    [InlineData("41 05 61 62", HPackError.Truncated)]
    [InlineData("41", HPackError.Truncated)]
    [InlineData("40", HPackError.Truncated)]
    public void Decode_CraftedBlock_GivesItsError(string hex, HPackError expected)
    {
        var decoder = new HPackDecoder(maxTableSize: 4096);

        HPackError error = decoder.Decode(Hex(hex), new HPackTestSink());

        Assert.Equal(expected, error);
        // A failed block leaves the decoder unusable: the next block gets the same answer.
        Assert.Equal(expected, decoder.Decode(Hex("82"), new HPackTestSink()));
    }

    [Theory]
    [InlineData("3f e1 1f 82")] // size update to 4096, the limit announced
    [InlineData("20 3f e1 1f 82")] // two updates before the first field (RFC 7541 §4.2)
    [InlineData("00 01 78 80")] // empty Huffman value
    [InlineData("00 01 78 81 1f")] // 'a' (00011) and three padding ones
    [InlineData("00 01 78 83 fe 3f cf")] // '!' and '?' (10 bits each, mostly ones) and four padding ones
    public void Decode_EdgeBlocks_Accepted(string hex)
    {
        var decoder = new HPackDecoder(maxTableSize: 4096);
        (HPackError error, _) = HPackTestSink.Decode(decoder, Hex(hex));
        Assert.Equal(HPackError.None, error);
    }

    [Fact]
    public void Decode_HeaderListTooLarge_DecodedToItsEndAndTableStaysInStep()
    {
        // Limit 150: A (9 + 30 + 32 = 71) fits; B (9 + 40 + 32 = 81) brings the list to 152.
        var decoder = new HPackDecoder(maxTableSize: 4096, maxHeaderListSize: 150);
        string a = new('a', 30), b = new('b', 40);
        var encoder = new HPackEncoder();
        byte[] first = Encode(encoder, ("x-field-a", a), ("x-field-b", b), (":method", "GET"), ("x-field-c", "c"));

        (HPackError error, var headers) = HPackTestSink.Decode(decoder, first);

        Assert.Equal(HPackError.HeaderListTooLarge, error);
        Assert.Equal([("x-field-a", a)], headers);
        // B and C were still added to the table, as in the peer's encoder: the next block, which refers
        // to them by index, decodes.
        Assert.Equal(3, decoder.TableCount);
        byte[] second = Encode(encoder, ("x-field-c", "c"), ("x-field-b", b));
        Assert.Equal([0xbe, 0xbf], second);
        (error, headers) = HPackTestSink.Decode(decoder, second);
        Assert.Equal(HPackError.None, error);
        Assert.Equal([("x-field-c", "c"), ("x-field-b", b)], headers);
    }

    [Fact]
    public void Decode_StringLongerThanListLimit_FieldSkippedAndListTooLarge()
    {
        // Plain: a 101-byte value with a limit of 100, without indexing; the block is read to its end.
        var decoder = new HPackDecoder(maxHeaderListSize: 100);
        byte[] plain = [0x00, 0x01, (byte)'x', 101, .. Enumerable.Repeat((byte)'v', 101), 0x82];
        (HPackError error, var headers) = HPackTestSink.Decode(decoder, plain);
        Assert.Equal(HPackError.HeaderListTooLarge, error);
        Assert.Empty(headers);
        (error, headers) = HPackTestSink.Decode(decoder, [0x82]);
        Assert.Equal(HPackError.None, error);
        Assert.Equal([(":method", "GET")], headers);

        // Huffman: 112 '0's (5 bits each) take 70 bytes on the wire, within the limit, and decode past it.
        var encoder = new HPackEncoder(maxTableSize: 0);
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(output, "x"u8, Encoding.ASCII.GetBytes(new string('0', 112)));
        Assert.True(output.WrittenCount < 100);
        Assert.Equal(HPackError.HeaderListTooLarge, new HPackDecoder(maxHeaderListSize: 100).Decode(output.WrittenSpan, new HPackTestSink()));

        // With incremental indexing into a 4096-byte table, a 9000-byte value empties the table (RFC 7541
        // §4.4), exactly as in the peer's encoder.
        decoder = new HPackDecoder(maxTableSize: 4096, maxHeaderListSize: 8192);
        byte[] length = new byte[HPackInteger.MaxLength];
        int lengthBytes = HPackInteger.Encode(length, 9000, 7, 0);
        byte[] large = [0x40, 0x03, .. "x-a"u8, 0x01, (byte)'1', 0x40, 0x01, (byte)'y', .. length[..lengthBytes], .. Enumerable.Repeat((byte)'v', 9000)];
        (error, headers) = HPackTestSink.Decode(decoder, large);
        Assert.Equal(HPackError.HeaderListTooLarge, error);
        Assert.Equal([("x-a", "1")], headers);
        Assert.Equal(0, decoder.TableCount);
        Assert.Equal(HPackError.BadIndex, decoder.Decode([0xbe], new HPackTestSink()));
    }

    [Fact]
    public void Decode_StringLongerThanLimitIntoTableThatCouldHoldIt_StringTooLong()
    {
        // Limit 100, table 4096: the entry (1 + 101 + 32) would fit in the table, so the decoder would have
        // to keep a string it refuses to hold.
        byte[] plain = [0x40, 0x01, (byte)'x', 101, .. Enumerable.Repeat((byte)'v', 101)];
        Assert.Equal(HPackError.StringTooLong, new HPackDecoder(maxHeaderListSize: 100).Decode(plain, new HPackTestSink()));

        var encoder = new HPackEncoder();
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(output, "x"u8, Encoding.ASCII.GetBytes(new string('0', 112)));
        Assert.Equal(0x40, output.WrittenSpan[0] & 0xC0);
        Assert.Equal(HPackError.StringTooLong, new HPackDecoder(maxHeaderListSize: 100).Decode(output.WrittenSpan, new HPackTestSink()));

        // A string at the limit is read; the field (1 + 100 + 32) is then too large for the list.
        byte[] atLimit = [0x00, 0x01, (byte)'x', 100, .. Enumerable.Repeat((byte)'v', 100)];
        Assert.Equal(HPackError.HeaderListTooLarge, new HPackDecoder(maxHeaderListSize: 100).Decode(atLimit, new HPackTestSink()));
    }

    [Theory]
    [InlineData(100)] // decoded past the limit while decoding
    [InlineData(50)] // longer than the limit on the wire already
    public void Decode_SkippedHuffmanString_StillChecked(int limit)
    {
        // 71 bytes: 70 zero bytes are 112 '0's, the last one a 113th '0' and padding 000.
        byte[] block = [0x00, 0x01, (byte)'x', 0x80 | 71, .. new byte[71]];
        Assert.Equal(HPackError.BadHuffman, new HPackDecoder(maxHeaderListSize: limit).Decode(block, new HPackTestSink()));
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        var random = new Random(7541);
        var errors = new HashSet<HPackError>();
        for (int i = 0; i < 20_000; i++)
        {
            byte[] block = new byte[random.Next(1, 64)];
            random.NextBytes(block);
            var decoder = new HPackDecoder(maxTableSize: 4096, maxHeaderListSize: 1024);
            errors.Add(decoder.Decode(block, new HPackTestSink()));
        }

        // Random input reaches the main error paths (not a timing or luck assertion: the seed is fixed).
        Assert.Contains(HPackError.Truncated, errors);
        Assert.Contains(HPackError.BadIndex, errors);
        Assert.Contains(HPackError.MisplacedTableSizeUpdate, errors);
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static byte[] Encode(HPackEncoder encoder, params (string Name, string Value)[] fields)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        foreach ((string name, string value) in fields)
        {
            encoder.Encode(output, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }

        return output.WrittenSpan.ToArray();
    }

    private sealed record EncodedBlock(byte[] Bytes, List<int> Ends, HashSet<int> FieldEnds, List<(string, string)> Headers);

    private static List<EncodedBlock> Build(string sequence)
    {
        List<(string, string)[]> heads;
        var encoder = new HPackEncoder();
        var sizes = new List<int?>();
        switch (sequence)
        {
            case "rfc-c4-requests":
                heads =
                [
                    [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
                    [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")],
                    [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")],
                ];
                break;
            case "rfc-c6-responses":
                encoder = new HPackEncoder(maxTableSize: 256);
                heads =
                [
                    [(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
                    [(":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
                    [(":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"), ("location", "https://www.example.com"), ("content-encoding", "gzip"), ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")],
                ];
                break;
            case "size-updates":
                heads = HPackVectors.Read("raw-data").Single(s => s.Name == "story_20").Cases.Take(5).Select(c => c.Headers.ToArray()).ToList();
                sizes = [null, 1024, 0, 4096, null];
                break;
            default:
                string story = sequence["raw-data-".Length..];
                heads = HPackVectors.Read("raw-data").Single(s => s.Name == story).Cases.Take(6).Select(c => c.Headers.ToArray()).ToList();
                break;
        }

        var blocks = new List<EncodedBlock>();
        var output = new ArrayBufferWriter<byte>();
        for (int i = 0; i < heads.Count; i++)
        {
            output.ResetWrittenCount();
            var ends = new List<int>();
            var fieldEnds = new HashSet<int>();
            if (i < sizes.Count && sizes[i] is int size)
            {
                encoder.SetPeerMaxTableSize(size);
            }

            encoder.BeginBlock(output);
            if (output.WrittenCount > 0)
            {
                ends.Add(output.WrittenCount);
            }

            foreach ((string name, string value) in heads[i])
            {
                encoder.Encode(output, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
                ends.Add(output.WrittenCount);
                fieldEnds.Add(output.WrittenCount);
            }

            blocks.Add(new EncodedBlock(output.WrittenSpan.ToArray(), ends, fieldEnds, [.. heads[i]]));
        }

        return blocks;
    }
}
