using System.Buffers;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// The encoder's table version stays put across a block that left the dynamic table as it was, and
/// then the same fields encode to the same bytes; it moves with every change that can alter what a
/// field encodes to (an entry added, the peer's size, a size update written, a reset).
/// </summary>
public sealed class HPackEncoderTableVersionTests
{
    private static byte[] Encode(HPackEncoder encoder, params (string Name, string Value)[] fields)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        foreach (var (name, value) in fields)
        {
            encoder.Encode(output, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }
        return output.WrittenSpan.ToArray();
    }

    private static readonly (string, string)[] Head = [("Server", "origin"), ("Date", "Sun, 06 Dec 2026 09:00:00 GMT"), ("Content-Type", "text/plain"), ("content-length", "12")];

    [Fact]
    public void TableVersion_BlockThatAddsAnEntry_Moves()
    {
        var encoder = new HPackEncoder();
        var before = encoder.TableVersion;

        Encode(encoder, Head);

        Assert.NotEqual(before, encoder.TableVersion);
    }

    [Fact]
    public void TableVersion_BlockOfFieldsAllFound_StaysAndTheBlockRepeatsItsBytes()
    {
        var encoder = new HPackEncoder();
        Encode(encoder, Head);
        var before = encoder.TableVersion;

        var second = Encode(encoder, Head);
        var third = Encode(encoder, Head);

        Assert.Equal(before, encoder.TableVersion);
        Assert.Equal(second, third);
    }

    [Fact]
    public void TableVersion_StaticFieldsOnly_Stays()
    {
        var encoder = new HPackEncoder();
        var before = encoder.TableVersion;

        Encode(encoder, (":method", "GET"), ("accept-encoding", "gzip, deflate"));

        Assert.Equal(before, encoder.TableVersion);
    }

    [Fact]
    public void TableVersion_PeerSizeChangedAndItsUpdateWritten_MovesEachTime()
    {
        var encoder = new HPackEncoder();
        Encode(encoder, Head);
        var before = encoder.TableVersion;

        encoder.SetPeerMaxTableSize(1024);
        var pending = encoder.TableVersion;
        Encode(encoder, Head);
        var written = encoder.TableVersion;

        Assert.NotEqual(before, pending);
        Assert.NotEqual(pending, written);
    }

    [Fact]
    public void TableVersion_Reset_Moves()
    {
        var encoder = new HPackEncoder();
        Encode(encoder, Head);
        Encode(encoder, Head);
        var before = encoder.TableVersion;

        encoder.Reset();

        Assert.NotEqual(before, encoder.TableVersion);
    }

    [Fact]
    public void TableVersion_AnyBlockThatLeftItAsItWas_EncodesToTheSameBytesAgain()
    {
        // Heads that change now and then (a value, an extra field, eviction in a small table): each
        // time a block left the version as it was, encoding it again gives the same bytes.
        var encoder = new HPackEncoder(256);
        var random = new Random(11);
        var repeats = 0;
        for (var i = 0; i < 400; i++)
        {
            (string, string)[] head = [("server", "origin"), ("date", $"d{i / 20}"), ("x-id", $"v{random.Next(4)}")];
            if (i % 9 == 0)
            {
                head = [.. head, ($"x-extra-{i}", new string('e', random.Next(1, 90)))];
            }
            var before = encoder.TableVersion;
            var block = Encode(encoder, head);
            if (encoder.TableVersion == before)
            {
                repeats++;
                Assert.Equal(block, Encode(encoder, head));
                Assert.Equal(before, encoder.TableVersion);
            }
        }
        Assert.True(repeats > 100, $"only {repeats} blocks left the table as it was");
    }
}
