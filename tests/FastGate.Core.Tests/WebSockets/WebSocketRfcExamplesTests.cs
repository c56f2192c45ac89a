using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FastGate.Core.WebSockets;
using static FastGate.Core.Tests.WebSockets.WebSocketCorpus;
using static FastGate.Core.Tests.WebSockets.WebSocketTestHelpers;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>The wire examples of RFC 6455 and RFC 7692 (TestData/websocket-rfc-examples.jsonl).</summary>
public class WebSocketRfcExamplesTests
{
    public static TheoryData<string> Messages => Ids(RfcExamplesFile, "message");

    public static TheoryData<string> FrameHeaders => Ids(RfcExamplesFile, "frame-header");

    public static TheoryData<string> CompressedMessages => Ids(RfcExamplesFile, "compressed-message");

    [Fact]
    public void Corpus_HasEveryExample()
    {
        Assert.Equal(16, Read(RfcExamplesFile).Count);
        Assert.Equal(5, Messages.Count<object[]>());
        Assert.Equal(2, FrameHeaders.Count<object[]>());
        Assert.Equal(7, CompressedMessages.Count<object[]>());
    }

    [Fact]
    public void Handshake_RfcSample_AcceptMatches()
    {
        JsonElement example = Case(RfcExamplesFile, "RFC 6455 1.3: opening handshake");
        byte[] key = Encoding.ASCII.GetBytes(example.GetProperty("key").GetString()!);
        byte[] accept = Encoding.ASCII.GetBytes(example.GetProperty("accept").GetString()!);

        Assert.True(WebSocketHandshake.IsValidKey(key));
        byte[] computed = new byte[WebSocketHandshake.AcceptLength];
        WebSocketHandshake.ComputeAccept(key, computed);
        Assert.Equal(accept, computed);
        Assert.True(WebSocketHandshake.IsExpectedAccept(key, accept));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Validate_RfcMessage_OkAtEverySplitInItsDirection(string id)
    {
        JsonElement example = Case(RfcExamplesFile, id);
        bool fromClient = example.GetProperty("direction").GetString() == "client";
        byte[] stream = Concat([.. example.GetProperty("frames").EnumerateArray().Select(f => f.HexBytes("wireHex"))]);

        Verdict verdict = RunAtEverySplit(stream, fromClient);

        Assert.Equal(WebSocketFrameStatus.Ok, verdict.Status);
        Assert.True(verdict.AtMessageBoundary);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Validate_RfcMessage_ViolationFromTheOtherDirection(string id)
    {
        // The same bytes sent the other way break the masking rule (§5.1).
        JsonElement example = Case(RfcExamplesFile, id);
        bool fromClient = example.GetProperty("direction").GetString() == "client";
        byte[] stream = Concat([.. example.GetProperty("frames").EnumerateArray().Select(f => f.HexBytes("wireHex"))]);

        Verdict verdict = RunAtEverySplit(stream, !fromClient);

        Assert.Equal(WebSocketFrameStatus.Violation, verdict.Status);
        Assert.Equal(WebSocketCloseCodes.ProtocolError, verdict.CloseCode);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Mask_RfcFrame_UnmasksToThePayload(string id)
    {
        JsonElement example = Case(RfcExamplesFile, id);
        foreach (JsonElement frame in example.GetProperty("frames").EnumerateArray())
        {
            byte[] wire = frame.HexBytes("wireHex");
            byte[] payload = frame.HexBytes("payloadHex");
            Assert.Equal(frame.GetProperty("fin").GetBoolean(), (wire[0] & 0x80) != 0);
            Assert.Equal(frame.GetProperty("opcode").GetInt32(), wire[0] & 0x0F);
            Assert.Equal(frame.GetProperty("masked").GetBoolean(), (wire[1] & 0x80) != 0);
            Assert.Equal(payload.Length, wire[1] & 0x7F);

            if (frame.GetProperty("masked").GetBoolean())
            {
                uint key = BinaryPrimitives.ReadUInt32BigEndian(frame.HexBytes("maskKeyHex"));
                byte[] unmasked = new byte[payload.Length];
                WebSocketMask.Apply(wire.AsSpan(6), unmasked, key, 0);
                Assert.Equal(payload, unmasked);
            }
            else
            {
                Assert.Equal(payload, wire[2..]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(FrameHeaders))]
    public void Validate_RfcLengthHeader_WithItsPayload_Ok_AndOverTheLimit_MessageTooBig(string id)
    {
        JsonElement example = Case(RfcExamplesFile, id);
        byte[] header = example.HexBytes("headerHex");
        int length = example.GetProperty("payloadLength").GetInt32();
        byte[] stream = Concat(header, new byte[length]);

        Verdict verdict = RunAtEverySplit(stream, fromClient: false);
        Assert.Equal(WebSocketFrameStatus.Ok, verdict.Status);
        Assert.True(verdict.AtMessageBoundary);

        // One byte under the frame's length: rejected on the header alone.
        var limits = new WebSocketLimits(length - 1, 0, validateUtf8: true);
        Verdict tooBig = RunAtEverySplit(header, fromClient: false, limits: limits);
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, tooBig.CloseCode);
    }

    [Theory]
    [MemberData(nameof(CompressedMessages))]
    public void Validate_RfcCompressedMessage_OkWhenNegotiated_ProtocolErrorWhenNot(string id)
    {
        JsonElement example = Case(RfcExamplesFile, id);
        byte[] stream = Concat([.. example.GetProperty("framesHex").EnumerateArray().Select(f => Convert.FromHexString(f.GetString()!))]);
        Assert.True(example.GetProperty("rsv1First").GetBoolean());

        Verdict negotiated = RunAtEverySplit(stream, fromClient: false, compression: true);
        Assert.Equal(WebSocketFrameStatus.Ok, negotiated.Status);
        Assert.True(negotiated.AtMessageBoundary);

        Verdict notNegotiated = RunAtEverySplit(stream, fromClient: false, compression: false);
        Assert.Equal(WebSocketCloseCodes.ProtocolError, notNegotiated.CloseCode);
    }

    [Fact]
    public void IsValidOnWire_EveryCode_AsTheRfcSummarySays()
    {
        JsonElement summary = Case(RfcExamplesFile, "RFC 6455 7.4: close codes");
        var expected = new bool?[65536];
        foreach (JsonElement range in summary.GetProperty("validOnWire").EnumerateArray())
        {
            for (int code = range[0].GetInt32(); code <= range[1].GetInt32(); code++)
            {
                expected[code] = true;
            }
        }

        foreach (JsonElement code in summary.GetProperty("neverSent").EnumerateArray())
        {
            expected[code.GetInt32()] = false;
        }

        foreach (JsonElement range in summary.GetProperty("invalid").EnumerateArray())
        {
            for (int code = range[0].GetInt32(); code <= range[1].GetInt32(); code++)
            {
                expected[code] = false;
            }
        }

        for (int code = 0; code < 65536; code++)
        {
            // 1012-1014 are in neither list: IANA-registered after the RFC (see the summary's note); we accept them.
            bool valid = expected[code] ?? code is >= 1012 and <= 1014;
            Assert.True(valid == WebSocketCloseCodes.IsValidOnWire((ushort)code), $"code {code}");
        }

        foreach (int code in new[] { 0, 999, 1000, 1004, 1005, 1006, 1011, 1012, 1014, 1015, 1016, 2999, 3000, 4999, 5000 })
        {
            foreach (bool client in new[] { true, false })
            {
                Verdict verdict = RunAtEverySplit(Frame(Close, ClosePayload((ushort)code, "x"u8), client), client);
                Assert.True(WebSocketCloseCodes.IsValidOnWire((ushort)code) == (verdict.Status == WebSocketFrameStatus.Ok), $"close {code}: {verdict}");
            }
        }
    }
}
