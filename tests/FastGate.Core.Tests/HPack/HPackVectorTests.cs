using System.Buffers;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// Interoperability with other implementations: every hpack-test-case vector decodes to exactly its
/// headers, and every raw-data story survives our encoder and decoder.
/// </summary>
public sealed class HPackVectorTests
{
    public static TheoryData<string> WireFiles() => new(HPackVectors.WireFiles());

    [Fact]
    public void Vectors_AllEncoderFilesPresent()
    {
        // A file lost from the repository must not shrink the theory silently.
        Assert.Equal(
            [
                "go-hpack", "haskell-http2-linear", "haskell-http2-naive", "nghttp2", "nghttp2-16384-4096",
                "nghttp2-change-table-size", "node-http2-hpack", "python-hpack", "swift-nio-hpack-huffman",
                "swift-nio-hpack-plain-text",
            ],
            HPackVectors.WireFiles());
    }

    [Theory]
    [MemberData(nameof(WireFiles))]
    public void Decode_EveryCaseOfEveryStory_GivesItsHeaders(string file)
    {
        int cases = 0;
        foreach (HPackVectors.Story story in HPackVectors.Read(file))
        {
            // One decoder per story: its cases share the compression context.
            var decoder = new HPackDecoder();
            foreach (HPackVectors.Case @case in story.Cases)
            {
                if (@case.TableSize is int size)
                {
                    decoder.MaxTableSize = size;
                }

                (HPackError error, var headers) = HPackTestSink.Decode(decoder, @case.Wire);
                Assert.True(error == HPackError.None, $"{@case.Where} ({story.Name} #{@case.Seq}): {error}");
                Assert.True(@case.Headers.SequenceEqual(headers), $"{@case.Where} ({story.Name} #{@case.Seq}): headers differ");
                Assert.True(decoder.TableSize <= decoder.MaxTableSize, $"{@case.Where}: table {decoder.TableSize} over {decoder.MaxTableSize}");
                cases++;
            }
        }

        Assert.True(cases >= 218, $"{file}: only {cases} cases");
    }

    [Theory]
    [InlineData(4096, false)]
    [InlineData(4096, true)]
    [InlineData(0, false)]
    [InlineData(256, true)]
    [InlineData(16384, true)]
    public void Encode_EveryRawDataStory_DecodesBackToItsHeaders(int encoderTableSize, bool changePeerTableSize)
    {
        // Peer SETTINGS_HEADER_TABLE_SIZE values stepped through between blocks, including a shrink to
        // zero (the table empties) and a growth past the default.
        int[] peerSizes = [4096, 1365, 0, 16384, 512, 2730];
        int blocks = 0;
        long plainBytes = 0, encodedBytes = 0;
        foreach (HPackVectors.Story story in HPackVectors.Read("raw-data"))
        {
            var encoder = new HPackEncoder(encoderTableSize);
            var decoder = new HPackDecoder();
            var output = new ArrayBufferWriter<byte>();
            for (int i = 0; i < story.Cases.Count; i++)
            {
                HPackVectors.Case @case = story.Cases[i];
                if (changePeerTableSize && i % 3 == 1)
                {
                    // The decoder announces a new limit; the encoder learns it from the SETTINGS frame.
                    int size = peerSizes[(i / 3) % peerSizes.Length];
                    decoder.MaxTableSize = size;
                    encoder.SetPeerMaxTableSize(size);
                }

                output.ResetWrittenCount();
                encoder.BeginBlock(output);
                foreach ((string name, string value) in @case.Headers)
                {
                    encoder.Encode(output, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
                    plainBytes += name.Length + value.Length;
                }

                encodedBytes += output.WrittenCount;
                (HPackError error, var headers) = HPackTestSink.Decode(decoder, output.WrittenSpan);
                Assert.True(error == HPackError.None, $"{@case.Where}: {error}");
                Assert.True(@case.Headers.SequenceEqual(headers), $"{@case.Where}: headers differ");
                Assert.True(decoder.TableSize <= decoder.MaxTableSize);
                blocks++;
            }
        }

        Assert.Equal(499, blocks);
        if (encoderTableSize == 4096 && !changePeerTableSize)
        {
            // The dynamic table and Huffman codes pay off on real traffic (nghttp2 reaches about a quarter).
            Assert.True(encodedBytes * 2 < plainBytes, $"{encodedBytes} encoded of {plainBytes} plain bytes");
        }
    }

    [Fact]
    public void Encode_UppercaseNames_WrittenLowercase()
    {
        var encoder = new HPackEncoder();
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(output, "Content-Type"u8, "text/html"u8);
        encoder.Encode(output, "X-Request-ID"u8, "abc"u8);
        encoder.Encode(output, "X-REQUEST-ID"u8, "abc"u8);

        (HPackError error, var headers) = HPackTestSink.Decode(new HPackDecoder(), output.WrittenSpan);

        Assert.Equal(HPackError.None, error);
        Assert.Equal([("content-type", "text/html"), ("x-request-id", "abc"), ("x-request-id", "abc")], headers);
    }

    [Fact]
    public void Encode_SensitiveFields_NeverIndexed()
    {
        var encoder = new HPackEncoder();
        var block = new ArrayBufferWriter<byte>();
        var output = new ArrayBufferWriter<byte>();
        var expected = new List<(string, string)>();
        foreach (string name in new[] { "authorization", "Proxy-Authorization", "cookie", "set-cookie", "x-token" })
        {
            for (int i = 0; i < 2; i++)
            {
                output.ResetWrittenCount();
                encoder.Encode(output, Encoding.ASCII.GetBytes(name), "secret-value"u8, neverIndex: name == "x-token");
                // 0001xxxx: Literal Header Field Never Indexed (RFC 7541 §6.2.3), also when sent again.
                Assert.Equal(0x10, output.WrittenSpan[0] & 0xF0);
                block.Write(output.WrittenSpan);
                expected.Add((name.ToLowerInvariant(), "secret-value"));
            }
        }

        var decoder = new HPackDecoder();
        (HPackError error, var headers) = HPackTestSink.Decode(decoder, block.WrittenSpan);
        Assert.Equal(HPackError.None, error);
        Assert.Equal(expected, headers);
        Assert.Equal(0, decoder.TableCount);
    }

    [Fact]
    public void Encode_RepeatedField_IndexedFromDynamicTable()
    {
        var encoder = new HPackEncoder();
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(output, "x-trace"u8, "0af7651916cd43dd8448eb211c80319c"u8);
        output.ResetWrittenCount();
        encoder.Encode(output, "x-trace"u8, "0af7651916cd43dd8448eb211c80319c"u8);

        Assert.Equal([0x80 | 62], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void SetPeerMaxTableSize_TableGrows_EarlierEntriesStillFound()
    {
        var encoder = new HPackEncoder(maxTableSize: 16384);
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(output, "x-a"u8, "1"u8);
        encoder.Encode(output, "x-b"u8, "2"u8);
        encoder.SetPeerMaxTableSize(16384);
        output.ResetWrittenCount();

        encoder.BeginBlock(output);
        encoder.Encode(output, "x-a"u8, "1"u8);
        encoder.Encode(output, "x-b"u8, "3"u8);

        // Size update to 16384, x-a as entry 63 (x-b is newer), x-b's name from entry 62.
        Assert.Equal([0x3F, 0xE1, 0x7F, 0x80 | 63, 0x40 | 62, 0x01, (byte)'3'], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void SetPeerMaxTableSize_DownThenUp_SignalsSmallestThenFinal()
    {
        var encoder = new HPackEncoder();
        var output = new ArrayBufferWriter<byte>();
        encoder.SetPeerMaxTableSize(0);
        encoder.SetPeerMaxTableSize(4000);
        encoder.BeginBlock(output);

        // 001xxxxx updates (RFC 7541 §4.2): 0, then 4000 = 31 + 3969 (0x81 0x1F).
        Assert.Equal([0x20, 0x3F, 0x81, 0x1F], output.WrittenSpan.ToArray());
        output.ResetWrittenCount();
        encoder.BeginBlock(output);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void SetPeerMaxTableSize_BeyondOwnLimit_UsesOwnLimit()
    {
        var encoder = new HPackEncoder(maxTableSize: 1024);
        var output = new ArrayBufferWriter<byte>();
        encoder.SetPeerMaxTableSize(65536);
        encoder.BeginBlock(output);
        var decoder = new HPackDecoder(maxTableSize: 1024);

        Assert.Equal(HPackError.None, decoder.Decode(output.WrittenSpan, new HPackTestSink()));
        Assert.Equal([0x3F, 0xE1, 0x07], output.WrittenSpan.ToArray());
    }

}
