using System.Text;
using FastGate.Core.WebSockets;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>
/// The 16-byte-block UTF-8 check against .NET's scalar decoder: every short sequence placed at every
/// position around block boundaries, in ASCII and in multi-byte surroundings, and random text with faults.
/// </summary>
public class WebSocketUtf8SimdTests
{
    private const int BufferLength = 100;

    /// <summary>Positions at and around the 16-byte block boundaries and the tail (100 = 6 blocks + 4).</summary>
    private static readonly int[] Positions = [0, 1, 13, 14, 15, 16, 17, 29, 30, 31, 32, 45, 46, 47, 63, 78, 79, 80, 93, 94, 95, 96, 97, 98, 99];

    [Fact]
    public void IsValid_EveryTwoByteInputAtEveryBoundary_AgreesWithTheScalarDecoder()
    {
        foreach (byte[] background in Backgrounds())
        {
            byte[] buffer = new byte[BufferLength];
            for (int a = 0; a < 256; a++)
            {
                for (int b = 0; b < 256; b++)
                {
                    foreach (int at in Positions)
                    {
                        if (at + 2 > BufferLength)
                        {
                            continue;
                        }

                        background.CopyTo(buffer, 0);
                        buffer[at] = (byte)a;
                        buffer[at + 1] = (byte)b;
                        AssertAgrees(buffer);
                    }
                }
            }
        }
    }

    [Fact]
    public void IsValid_EveryThreeByteInputWithAMultiByteLeadAtBlockBoundaries_AgreesWithTheScalarDecoder()
    {
        byte[] buffer = new byte[BufferLength];
        byte[] background = Backgrounds()[0];
        for (int a = 0xC0; a < 0x100; a++)
        {
            for (int b = 0x70; b < 0x100; b++)
            {
                for (int c = 0x70; c < 0xD0; c++)
                {
                    foreach (int at in new[] { 14, 15, 29, 30, 97 })
                    {
                        background.CopyTo(buffer, 0);
                        buffer[at] = (byte)a;
                        buffer[at + 1] = (byte)b;
                        buffer[at + 2] = (byte)c;
                        AssertAgrees(buffer);
                    }
                }
            }
        }
    }

    [Fact]
    public void IsValid_FourByteSequencesAtEveryPosition_AgreeWithTheScalarDecoder()
    {
        byte[] buffer = new byte[BufferLength];
        foreach (byte[] background in Backgrounds())
        {
            foreach (int a in new[] { 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF })
            {
                foreach (int b in new[] { 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0 })
                {
                    foreach (int c in new[] { 0x7F, 0x80, 0xBF, 0xC0 })
                    {
                        foreach (int d in new[] { 0x41, 0x80, 0xBF, 0xC0, 0xF0 })
                        {
                            for (int at = 0; at + 4 <= BufferLength; at++)
                            {
                                background.CopyTo(buffer, 0);
                                buffer[at] = (byte)a;
                                buffer[at + 1] = (byte)b;
                                buffer[at + 2] = (byte)c;
                                buffer[at + 3] = (byte)d;
                                AssertAgrees(buffer);
                            }
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void IsValid_TruncatedAtTheEnd_FalseForEveryLength()
    {
        // A lead byte (or lead and some continuations) as the very last bytes, at every buffer length.
        foreach (byte[] cut in new byte[][] { [0xC3], [0xE2], [0xE2, 0x82], [0xF0], [0xF0, 0x9F], [0xF0, 0x9F, 0x98] })
        {
            for (int length = 64; length <= 130; length++)
            {
                byte[] buffer = Enumerable.Repeat((byte)'a', length).ToArray();
                cut.CopyTo(buffer, length - cut.Length);
                Assert.False(WebSocketUtf8Simd.IsValid(buffer), $"{Convert.ToHexString(cut)} at the end of {length} bytes");
            }
        }
    }

    [Fact]
    public void IsValid_RandomTextWithRandomFaults_AgreesWithTheScalarDecoder()
    {
        var random = new Random(3629);
        string[] pieces = ["a", "Z", " ", "\u00E9", "\u07FF", "\u0800", "\u20AC", "\uD7FF", "\uE000", "\uFFFD", "\uFFFF", "\U00010000", "\U0001F600", "\U0010FFFF", "\u65E5\u672C"];
        for (int round = 0; round < 20000; round++)
        {
            var text = new StringBuilder();
            int count = random.Next(0, 120);
            for (int i = 0; i < count; i++)
            {
                text.Append(pieces[random.Next(pieces.Length)]);
            }

            byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
            int faults = bytes.Length == 0 ? 0 : random.Next(0, 3);
            for (int f = 0; f < faults; f++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            if (bytes.Length > 0 && random.Next(10) == 0)
            {
                bytes = bytes[..random.Next(bytes.Length)];
            }

            AssertAgrees(bytes);
        }
    }

    /// <summary>All ASCII (blocks take the ASCII shortcut), and all two-byte characters (every block is checked).</summary>
    private static byte[][] Backgrounds() =>
    [
        Enumerable.Repeat((byte)'a', BufferLength).ToArray(),
        Enumerable.Range(0, BufferLength).Select(i => i % 2 == 0 ? (byte)0xC3 : (byte)0xA9).ToArray(),
    ];

    private static void AssertAgrees(byte[] buffer)
    {
        bool expected = IsValidScalar(buffer);
        if (WebSocketUtf8Simd.IsValid(buffer) != expected)
        {
            Assert.Fail($"{Convert.ToHexString(buffer)}: expected {expected}");
        }
    }

    private static bool IsValidScalar(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            bytes = bytes.Slice(consumed);
        }

        return true;
    }
}
