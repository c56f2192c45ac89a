using System.Text;
using FastGate.Core.WebSockets;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>The incremental UTF-8 check against .NET's scalar decoder, over every short sequence and every split.</summary>
public class WebSocketUtf8ValidatorTests
{
    [Fact]
    public void Append_EveryOneAndTwoByteInput_AgreesWithTheStrictDecoderAtEverySplit()
    {
        byte[] input = new byte[2];
        for (int a = 0; a < 256; a++)
        {
            input[0] = (byte)a;
            AssertAgrees(input.AsSpan(0, 1));
            for (int b = 0; b < 256; b++)
            {
                input[1] = (byte)b;
                AssertAgrees(input);
            }
        }
    }

    [Fact]
    public void Append_EveryThreeByteInputWithAMultiByteLead_AgreesWithTheStrictDecoderAtEverySplit()
    {
        byte[] input = new byte[3];
        for (int a = 0xC0; a < 0x100; a++)
        {
            input[0] = (byte)a;
            for (int b = 0x70; b < 0x100; b++)
            {
                input[1] = (byte)b;
                for (int c = 0x70; c < 0xD0; c++)
                {
                    input[2] = (byte)c;
                    AssertAgrees(input);
                }
            }
        }
    }

    [Fact]
    public void Append_FourByteSequencesAroundEveryBoundary_AgreeWithTheStrictDecoder()
    {
        byte[] input = new byte[4];
        foreach (int a in new[] { 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8 })
        {
            foreach (int b in new[] { 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0 })
            {
                foreach (int c in new[] { 0x7F, 0x80, 0xBF, 0xC0 })
                {
                    foreach (int d in new[] { 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xF0 })
                    {
                        input[0] = (byte)a;
                        input[1] = (byte)b;
                        input[2] = (byte)c;
                        input[3] = (byte)d;
                        AssertAgrees(input);
                    }
                }
            }
        }
    }

    [Fact]
    public void Append_CodePointsAtTheEdges_AgreeWithTheStrictDecoder()
    {
        foreach (int codePoint in new[] { 0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF })
        {
            byte[] bytes = Encoding.UTF8.GetBytes(char.ConvertFromUtf32(codePoint) + "x" + char.ConvertFromUtf32(codePoint));
            AssertAgrees(bytes);
        }
    }

    private static void AssertAgrees(ReadOnlySpan<byte> input)
    {
        bool expected = IsStrictUtf8(input);
        for (int split = 0; split <= input.Length; split++)
        {
            var validator = default(WebSocketUtf8Validator);
            bool ok = validator.Append(input.Slice(0, split)) && validator.Append(input.Slice(split)) && validator.IsComplete;
            if (ok != expected)
            {
                Assert.Fail($"{Convert.ToHexString(input)} split at {split}: validator {ok}, strict decoder {expected}");
            }
        }

        var byteWise = default(WebSocketUtf8Validator);
        bool allOk = true;
        foreach (byte b in input)
        {
            allOk &= byteWise.Append([b]);
        }

        if ((allOk && byteWise.IsComplete) != expected)
        {
            Assert.Fail($"{Convert.ToHexString(input)} byte by byte: validator {!expected}, strict decoder {expected}");
        }
    }

    /// <summary>The reference: decode scalar by scalar with <see cref="Rune"/> (no exceptions, so the exhaustive loops stay fast).</summary>
    private static bool IsStrictUtf8(ReadOnlySpan<byte> bytes)
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
