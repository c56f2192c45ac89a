using System.Text;
using FastGate.Core.WebSockets;
using static FastGate.Core.Tests.WebSockets.WebSocketTestHelpers;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>
/// Longer streams in random pieces against an independent reference (the .NET strict UTF-8 decoder
/// over the unmasked message): the mask rotation and UTF-8 state must survive any split.
/// </summary>
public class WebSocketFrameValidatorStreamTests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Validate_RandomTextMessagesInRandomPieces_MatchesTheStrictDecoder(bool client)
    {
        var random = new Random(6455);
        for (int round = 0; round < 300; round++)
        {
            byte[] message = RandomText(random, random.Next(0, 3000));
            if (random.Next(3) == 0 && message.Length > 0)
            {
                message[random.Next(message.Length)] = (byte)random.Next(0x80, 0x100);
            }

            bool valid = IsStrictUtf8(message);
            byte[] stream = Fragment(random, message, client);
            WebSocketFrameValidator validator = NewValidator(client);
            Verdict verdict = Feed(ref validator, RandomPieces(random, stream));

            Assert.True(valid == (verdict.Status == WebSocketFrameStatus.Ok), $"round {round}: valid={valid}, {verdict}");
            if (!valid)
            {
                Assert.Equal(WebSocketCloseCodes.InvalidPayload, verdict.CloseCode);
            }
        }
    }

    [Fact]
    public void Validate_MaskedFrame_ReadsThroughTheMask()
    {
        // The same bytes that are valid unmasked become invalid UTF-8 once XORed with this key, and the reverse:
        // the validator must judge the unmasked payload, never the wire bytes.
        byte[] text = Encoding.UTF8.GetBytes(new string('a', 37));
        byte[] masked = Frame(Text, text, masked: true, maskKey: 0x80808080);
        Assert.Equal(WebSocketFrameStatus.Ok, RunAtEverySplit(masked, fromClient: true).Status);

        byte[] wireLooksValid = Frame(Text, Enumerable.Repeat((byte)0xE1, 37).ToArray(), masked: true, maskKey: 0x80808080);
        Assert.Equal(WebSocketCloseCodes.InvalidPayload, RunAtEverySplit(wireLooksValid, fromClient: true).CloseCode);
    }

    [Fact]
    public void Validate_LargeMaskedTextWithAFaultPastTheUnmaskChunk_FoundAtEveryMaskRotation()
    {
        for (int at = 1000; at < 1100; at++)
        {
            byte[] text = Enumerable.Repeat((byte)'z', 3000).ToArray();
            text[at] = 0xC3;
            text[at + 1] = 0x28;
            foreach (uint key in new uint[] { 0x01020304, 0xFFFFFFFF, 0, 0xDEADBEEF })
            {
                byte[] stream = Frame(Text, text, masked: true, maskKey: key);
                Assert.Equal(WebSocketCloseCodes.InvalidPayload, Run(stream, fromClient: true).CloseCode);

                text[at + 1] = 0xA9;
                stream = Frame(Text, text, masked: true, maskKey: key);
                Assert.Equal(WebSocketFrameStatus.Ok, Run(stream, fromClient: true).Status);
                text[at + 1] = 0x28;
            }
        }
    }

    [Fact]
    public void Validate_NeverWritesTheInput()
    {
        var random = new Random(5);
        byte[] message = RandomText(random, 5000);
        byte[] stream = Concat(Fragment(random, message, masked: true), Frame(Close, ClosePayload(1000, "done"u8), masked: true));
        byte[] copy = stream.ToArray();

        WebSocketFrameValidator validator = NewValidator(fromClient: true);
        Verdict verdict = Feed(ref validator, RandomPieces(random, stream));

        Assert.Equal(WebSocketFrameStatus.Ok, verdict.Status);
        Assert.True(verdict.CloseSeen);
        Assert.Equal(copy, stream);
    }

    [Fact]
    public void Validate_AfterAViolation_StaysViolatedAndKeepsTheFirstReason()
    {
        WebSocketFrameValidator validator = NewValidator(fromClient: false);
        Assert.Equal(WebSocketFrameStatus.Violation, validator.Validate(Frame(3, [], masked: false)));
        string? reason = validator.Reason;

        Assert.Equal(WebSocketFrameStatus.Violation, validator.Validate(Frame(Text, [0xFF], masked: false)));
        Assert.Equal(WebSocketFrameStatus.Violation, validator.Validate(ReadOnlySpan<byte>.Empty));
        Assert.Equal(WebSocketCloseCodes.ProtocolError, validator.CloseCode);
        Assert.Same(reason, validator.Reason);
    }

    [Fact]
    public void Validate_EmptyInput_ChangesNothing()
    {
        WebSocketFrameValidator validator = NewValidator(fromClient: true);
        Assert.Equal(WebSocketFrameStatus.Ok, validator.Validate(ReadOnlySpan<byte>.Empty));
        Assert.True(validator.AtMessageBoundary);
        Assert.False(validator.CloseSeen);
        Assert.Equal(0, validator.CloseCode);
    }

    [Fact]
    public void Validate_CloseFrame_ReportsItsCode()
    {
        WebSocketFrameValidator validator = NewValidator(fromClient: true);
        validator.Validate(Frame(Close, ClosePayload(4001, "bye"u8), masked: true));
        Assert.Equal(4001, validator.CloseFrameCode);

        validator = NewValidator(fromClient: false);
        validator.Validate(Frame(Close, [], masked: false));
        Assert.Equal(WebSocketCloseCodes.NoStatus, validator.CloseFrameCode);
    }

    private static bool IsStrictUtf8(byte[] bytes)
    {
        try
        {
            StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Mostly ASCII with 2-, 3- and 4-byte characters, so sequences straddle every boundary.</summary>
    private static byte[] RandomText(Random random, int chars)
    {
        var builder = new StringBuilder(chars);
        for (int i = 0; i < chars; i++)
        {
            builder.Append(random.Next(8) switch
            {
                0 => "\u00E9",
                1 => "\u20AC",
                2 => "\U0001F600",
                3 => "\uFFFF",
                _ => ((char)random.Next(0x20, 0x7F)).ToString(),
            });
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>The message as a text frame and continuations cut at random bytes, with pings between some of them.</summary>
    private static byte[] Fragment(Random random, byte[] message, bool masked)
    {
        var frames = new List<byte[]>();
        int at = 0;
        bool first = true;
        do
        {
            int length = Math.Min(message.Length - at, random.Next(0, 700));
            bool last = at + length == message.Length;
            frames.Add(Frame(first ? Text : Continuation, message.AsSpan(at, length), masked, fin: last, maskKey: (uint)random.Next()));
            if (random.Next(4) == 0)
            {
                frames.Add(Frame(Ping, [0xFF, 0x00], masked, maskKey: (uint)random.Next()));
            }

            at += length;
            first = false;
        }
        while (at < message.Length);

        return Concat([.. frames]);
    }

    private static IEnumerable<ReadOnlyMemory<byte>> RandomPieces(Random random, byte[] stream)
    {
        int at = 0;
        while (at < stream.Length)
        {
            int length = Math.Min(stream.Length - at, random.Next(3) == 0 ? random.Next(1, 4) : random.Next(1, 2000));
            yield return stream.AsMemory(at, length);
            at += length;
        }
    }
}
