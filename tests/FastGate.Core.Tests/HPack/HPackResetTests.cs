using System.Buffers;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// A reset coder (pooled for the next HTTP/2 connection) behaves exactly as a new one: the same
/// bytes out of an encoder, the same fields out of a decoder, whatever the last connection left
/// in its tables, its size updates or its failure.
/// </summary>
public sealed class HPackResetTests
{
    private static byte[] EncodeHead(HPackEncoder encoder, string id)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        encoder.EncodeStatus(output, 200);
        encoder.Encode(output, "content-type"u8, "application/json"u8);
        encoder.Encode(output, "x-request-id"u8, System.Text.Encoding.ASCII.GetBytes(id));
        encoder.Encode(output, "server"u8, "origin"u8);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void ResetEncoder_WritesWhatANewOneWrites()
    {
        var used = new HPackEncoder();
        for (var i = 0; i < 200; i++)
        {
            EncodeHead(used, $"id-{i}");
        }
        // The last connection's peer shrank the table and no block carried the update yet.
        used.SetPeerMaxTableSize(256);

        used.Reset();

        var fresh = new HPackEncoder();
        Assert.Equal(EncodeHead(fresh, "a"), EncodeHead(used, "a"));
        Assert.Equal(EncodeHead(fresh, "b"), EncodeHead(used, "b"));
    }

    [Fact]
    public void ResetDecoder_DecodesANewConnectionsBlocks_AfterTheLastOneFailed()
    {
        var decoder = new HPackDecoder();
        var encoder = new HPackEncoder();
        Assert.Equal(HPackError.None, HPackTestSink.Decode(decoder, EncodeHead(encoder, "1")).Error);
        Assert.Equal(HPackError.None, HPackTestSink.Decode(decoder, EncodeHead(encoder, "2")).Error);
        // An index past the table: the decoder is unusable from here.
        Assert.NotEqual(HPackError.None, HPackTestSink.Decode(decoder, [0xFF, 0x7F]).Error);

        decoder.Reset();

        // A new connection's encoder starts from an empty table too; its entries' indexes count from there.
        var next = new HPackEncoder();
        var (error, headers) = HPackTestSink.Decode(decoder, EncodeHead(next, "3"));
        Assert.Equal(HPackError.None, error);
        Assert.Contains(("x-request-id", "3"), headers);
        (error, headers) = HPackTestSink.Decode(decoder, EncodeHead(next, "3"));
        Assert.Equal(HPackError.None, error);
        Assert.Contains(("x-request-id", "3"), headers);
    }

    [Fact]
    public void ResetDecoder_TakesBackTheTableSizeItWasMadeWith()
    {
        var decoder = new HPackDecoder(4096);
        // A size update to 0 (001 00000) empties and shrinks the table.
        Assert.Equal(HPackError.None, HPackTestSink.Decode(decoder, [0x20]).Error);

        decoder.Reset();

        var encoder = new HPackEncoder();
        Assert.Equal(HPackError.None, HPackTestSink.Decode(decoder, EncodeHead(encoder, "x")).Error);
        Assert.True(decoder.TableCount > 0);
        Assert.Equal(4096, decoder.MaxTableSize);
    }
}
