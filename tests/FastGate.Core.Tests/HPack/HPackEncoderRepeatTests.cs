using System.Buffers;
using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// Heads that repeat their fields in order (what one upstream's responses do) are indexed whole
/// once in the table, and every block still decodes to its own fields, whichever fields changed,
/// moved or were evicted meanwhile.
/// </summary>
public sealed class HPackEncoderRepeatTests
{
    private static byte[] Encode(HPackEncoder encoder, (string Name, string Value)[] fields)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        foreach (var (name, value) in fields)
        {
            encoder.Encode(output, Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        }
        return output.WrittenSpan.ToArray();
    }

    private static (string, string)[] Head(string date, string id) =>
        [("content-type", "text/plain"), ("date", date), ("server", "origin"), ("x-request-id", id), ("cache-control", "no-store"), ("vary", "accept")];

    [Fact]
    public void Encode_SameHeadAgain_IsOneIndexByteAField()
    {
        var encoder = new HPackEncoder();
        var head = Head("Fri, 04 Dec 2026 22:00:00 GMT", "a");
        Encode(encoder, head);

        var again = Encode(encoder, head);

        Assert.Equal(head.Length, again.Length);
        Assert.All(again, b => Assert.True((b & 0x80) != 0));
    }

    [Fact]
    public void Encode_FieldsChangedReorderedAndEvicted_EveryBlockDecodesToItsFields()
    {
        // A small table, so that entries are evicted while the heads go on.
        var encoder = new HPackEncoder(512);
        var decoder = new HPackDecoder(512);
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var head = Head($"Fri, 04 Dec 2026 22:00:{i / 10 % 60:00} GMT", $"id-{random.Next(8)}");
            if (i % 7 == 0)
            {
                // Another order now and then.
                (head[1], head[4]) = (head[4], head[1]);
            }
            if (i % 11 == 0)
            {
                head = [.. head, ($"x-extra-{i}", new string('v', random.Next(1, 200)))];
            }

            var (error, decoded) = HPackTestSink.Decode(decoder, Encode(encoder, head));

            Assert.Equal(HPackError.None, error);
            Assert.Equal(head, decoded.ToArray());
        }
    }
}
