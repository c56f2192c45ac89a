using System.Text;
using FastGate.Core.WebSockets;
using static FastGate.Core.Tests.WebSockets.WebSocketTestHelpers;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>
/// RFC 6455 §5 rules, each as a valid and a malformed stream; every stream is also fed in two pieces at
/// every split point, byte by byte and as single-byte segments, and must get the same verdict each time.
/// </summary>
public class WebSocketFrameValidatorTests
{
    private static readonly byte[] Hello = "Hello"u8.ToArray();

    /// <summary>Streams that are valid in the given direction: name, fromClient, compression, stream, CloseSeen, AtMessageBoundary.</summary>
    public static TheoryData<string, bool, bool, byte[], bool, bool> ValidStreams()
    {
        var data = new TheoryData<string, bool, bool, byte[], bool, bool>();
        foreach (bool client in new[] { true, false })
        {
            string side = client ? "client" : "server";
            void Add(string name, byte[] stream, bool closeSeen = false, bool boundary = true, bool compression = false) =>
                data.Add($"{side}: {name}", client, compression, stream, closeSeen, boundary);

            Add("nothing yet", []);
            Add("text", Frame(Text, Hello, client));
            Add("empty text", Frame(Text, [], client));
            Add("binary of every byte value", Frame(Binary, Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), client));
            Add("empty binary", Frame(Binary, [], client));
            Add("binary that is not UTF-8", Frame(Binary, [0xFF, 0xC0, 0x80, 0xED, 0xA0, 0x80], client));
            Add("two messages", Concat(Frame(Text, Hello, client), Frame(Binary, Hello, client)));
            Add("fragmented text", Concat(Frame(Text, "Hel"u8, client, fin: false), Frame(Continuation, "lo"u8, client)));
            Add("fragmented binary, empty middle fragment", Concat(
                Frame(Binary, [1, 2], client, fin: false), Frame(Continuation, [], client, fin: false), Frame(Continuation, [3], client)));
            Add("ping and pong between fragments", Concat(
                Frame(Text, "Hel"u8, client, fin: false), Frame(Ping, Hello, client), Frame(Pong, [], client), Frame(Continuation, "lo"u8, client)));
            Add("UTF-8 sequence split across fragments", Concat(
                Frame(Text, [0x61, 0xE2], client, fin: false), Frame(Continuation, [0x82], client, fin: false), Frame(Continuation, [0xAC, 0x62], client)));
            Add("4-byte sequence split across fragments with a ping between", Concat(
                Frame(Text, [0xF0, 0x9F], client, fin: false), Frame(Ping, [0xFF], client), Frame(Continuation, [0x98, 0x80], client)));
            Add("inside a fragmented message", Frame(Text, "Hel"u8, client, fin: false), boundary: false);
            Add("inside a header", Frame(Text, Hello, client)[..1], boundary: false);
            Add("inside a payload", Frame(Binary, Hello, client)[..^1], boundary: false);
            Add("ping of 125 bytes", Frame(Ping, new byte[125], client));
            Add("ping payload not UTF-8", Frame(Ping, [0xFF, 0xFE], client));
            Add("empty pong", Frame(Pong, [], client));
            Add("126 bytes: 16-bit length", Frame(Binary, new byte[126], client));
            Add("65535 bytes: 16-bit length", Frame(Binary, new byte[65535], client));
            Add("300 bytes of text", Frame(Text, Enumerable.Repeat((byte)'a', 300).ToArray(), client));
            Add("65536 bytes: 64-bit length", Frame(Binary, new byte[65536], client));
            Add("empty close", Frame(Close, [], client), closeSeen: true);
            Add("close 1001 with a reason", Frame(Close, ClosePayload(1001, "going away"u8), client), closeSeen: true);
            Add("close with a UTF-8 reason", Frame(Close, ClosePayload(1000, "\u00E9t\u00E9 \u20AC \U0001F600"u8), client), closeSeen: true);
            Add("close with a 123-byte reason", Frame(Close, ClosePayload(4000, new byte[123]), client), closeSeen: true);
            Add("close between fragments", Concat(Frame(Text, "Hel"u8, client, fin: false), Frame(Close, ClosePayload(1000), client)),
                closeSeen: true, boundary: false);
            foreach (ushort code in new ushort[] { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999 })
            {
                Add($"close {code}", Frame(Close, ClosePayload(code), client), closeSeen: true);
            }

            // permessage-deflate (RFC 7692): RSV1 on the first frame; the compressed bytes are not UTF-8.
            Add("compressed text", Frame(Text, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], client, rsv: 4), compression: true);
            Add("compressed fragmented text", Concat(
                Frame(Text, [0xF2, 0x48, 0xCD], client, fin: false, rsv: 4), Frame(Continuation, [0xC9, 0xC9, 0x07, 0x00], client)), compression: true);
            Add("compressed binary", Frame(Binary, [0xFF, 0xFF], client, rsv: 4), compression: true);
            Add("uncompressed text when compression is agreed", Frame(Text, Hello, client), compression: true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ValidStreams))]
    public void Validate_ValidStream_OkAtEverySplit(string name, bool fromClient, bool compression, byte[] stream, bool closeSeen, bool boundary)
    {
        Verdict verdict = RunAtEverySplit(stream, fromClient, compression);

        Assert.True(verdict.Status == WebSocketFrameStatus.Ok, $"{name}: {verdict}");
        Assert.Equal(0, verdict.CloseCode);
        Assert.Null(verdict.Reason);
        Assert.Equal(closeSeen, verdict.CloseSeen);
        Assert.Equal(boundary, verdict.AtMessageBoundary);
    }

    /// <summary>Streams that break a rule: name, fromClient, compression, stream, expected close code.</summary>
    public static TheoryData<string, bool, bool, byte[], ushort> MalformedStreams()
    {
        var data = new TheoryData<string, bool, bool, byte[], ushort>();
        foreach (bool client in new[] { true, false })
        {
            string side = client ? "client" : "server";
            void Add(string name, byte[] stream, ushort code, bool compression = false) =>
                data.Add($"{side}: {name}", client, compression, stream, code);

            const ushort protocol = WebSocketCloseCodes.ProtocolError;
            const ushort payload = WebSocketCloseCodes.InvalidPayload;

            // §5.2 opcodes 3-7 and 0xB-0xF are reserved.
            foreach (int opcode in new[] { 3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF })
            {
                Add($"reserved opcode {opcode:X}", Frame(opcode, Hello, client), protocol);
                Add($"reserved opcode {opcode:X} after a message", Concat(Frame(Text, Hello, client), Frame(opcode, [], client)), protocol);
            }

            // §5.2 RSV bits without an extension; RFC 7692 allows RSV1 only on a data message's first frame.
            foreach (int rsv in new[] { 1, 2, 3, 4, 5, 6, 7 })
            {
                Add($"RSV {rsv} on text without compression", Frame(Text, Hello, client, rsv: rsv), protocol);
                Add($"RSV {rsv} on ping without compression", Frame(Ping, Hello, client, rsv: rsv), protocol);
            }

            Add("RSV2 on text with compression", Frame(Text, Hello, client, rsv: 2), protocol, compression: true);
            Add("RSV3 on binary with compression", Frame(Binary, Hello, client, rsv: 1), protocol, compression: true);
            Add("RSV1 on ping with compression", Frame(Ping, Hello, client, rsv: 4), protocol, compression: true);
            Add("RSV1 on close with compression", Frame(Close, ClosePayload(1000), client, rsv: 4), protocol, compression: true);
            Add("RSV1 on a continuation with compression", Concat(
                Frame(Text, [0xF2], client, fin: false, rsv: 4), Frame(Continuation, [0x48], client, rsv: 4)), protocol, compression: true);

            // §5.1 masking per direction.
            Add(client ? "unmasked frame from the client" : "masked frame from the server", Frame(Text, Hello, !client), protocol);
            Add("wrong masking on the second frame", Concat(Frame(Binary, Hello, client), Frame(Binary, Hello, !client)), protocol);
            Add("wrong masking on a close", Frame(Close, ClosePayload(1000), !client), protocol);

            // §5.2 lengths: minimal encoding, 64-bit high bit.
            Add("length 125 in 16 bits", Frame(Binary, new byte[125], client, lengthBytes: 2), protocol);
            Add("length 0 in 16 bits", Frame(Binary, [], client, lengthBytes: 2), protocol);
            Add("length 5 in 64 bits", Frame(Binary, Hello, client, lengthBytes: 8), protocol);
            Add("length 65535 in 64 bits", Frame(Binary, new byte[65535], client, lengthBytes: 8), protocol);
            Add("64-bit length with the high bit set", Frame(Binary, [], client, lengthBytes: 8, declaredLength: long.MinValue), protocol);
            Add("64-bit length 0xFF..FF", Frame(Binary, [], client, lengthBytes: 8, declaredLength: -1), protocol);

            // §5.5 control frames: at most 125 bytes, never fragmented.
            Add("ping of 126 bytes", Frame(Ping, new byte[126], client), protocol);
            Add("pong of 126 bytes declared in 7 bits", Frame(Pong, [], client, declaredLength: 126, lengthBytes: 0), protocol);
            Add("close of 127 declared", Frame(Close, [], client, declaredLength: 127, lengthBytes: 0), protocol);
            Add("fragmented ping", Frame(Ping, Hello, client, fin: false), protocol);
            Add("fragmented close", Frame(Close, ClosePayload(1000), client, fin: false), protocol);
            Add("fragmented pong inside a message", Concat(Frame(Text, Hello, client, fin: false), Frame(Pong, [], client, fin: false)), protocol);

            // §5.4 fragmentation order.
            Add("continuation first", Frame(Continuation, Hello, client), protocol);
            Add("continuation after a whole message", Concat(Frame(Text, Hello, client), Frame(Continuation, Hello, client)), protocol);
            Add("text inside a fragmented text", Concat(Frame(Text, Hello, client, fin: false), Frame(Text, Hello, client)), protocol);
            Add("binary inside a fragmented text", Concat(Frame(Text, Hello, client, fin: false), Frame(Binary, Hello, client)), protocol);
            Add("text inside a fragmented binary after a ping", Concat(
                Frame(Binary, Hello, client, fin: false), Frame(Ping, [], client), Frame(Text, Hello, client, fin: false)), protocol);

            // §8.1 text is UTF-8, also across fragments and at the end of the message.
            Add("text not UTF-8", Frame(Text, [0x48, 0xFF, 0x48], client), payload);
            Add("text with an overlong", Frame(Text, [0xC0, 0xAF], client), payload);
            Add("text with a surrogate", Frame(Text, [0xED, 0xA0, 0x80], client), payload);
            Add("text above U+10FFFF", Frame(Text, [0xF4, 0x90, 0x80, 0x80], client), payload);
            Add("text ends inside a sequence", Frame(Text, [0x61, 0xE2, 0x82], client), payload);
            Add("last fragment ends inside a sequence", Concat(Frame(Text, "ab"u8, client, fin: false), Frame(Continuation, [0xE2], client)), payload);
            Add("bad byte in the second fragment", Concat(Frame(Text, "ab"u8, client, fin: false), Frame(Continuation, [0x80], client)), payload);
            Add("sequence broken across fragments", Concat(Frame(Text, [0xE2], client, fin: false), Frame(Continuation, [0x28, 0xA1], client)), payload);
            Add("bad UTF-8 far into a long text", Frame(Text, [.. Enumerable.Repeat((byte)'a', 5000), 0xFE, .. Enumerable.Repeat((byte)'a', 100)], client), payload);
            Add("fragmented text with an empty last fragment after a cut sequence", Concat(
                Frame(Text, [0xF0, 0x9F, 0x98], client, fin: false), Frame(Continuation, [], client)), payload);

            // §5.5.1 close body: empty or a valid 2-byte code, then a UTF-8 reason.
            Add("close of 1 byte", Frame(Close, [0x03], client), protocol);
            foreach (ushort code in new ushort[] { 0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535 })
            {
                Add($"close code {code}", Frame(Close, ClosePayload(code), client), protocol);
                Add($"close code {code} with a reason", Frame(Close, ClosePayload(code, "x"u8), client), protocol);
            }

            Add("close reason not UTF-8", Frame(Close, ClosePayload(1000, [0x61, 0xFF]), client), payload);
            Add("close reason ends inside a sequence", Frame(Close, ClosePayload(1000, [0x61, 0xCE]), client), payload);

            // §5.5.1 nothing after a close.
            Add("ping after close", Concat(Frame(Close, ClosePayload(1000), client), Frame(Ping, [], client)), protocol);
            Add("text after empty close", Concat(Frame(Close, [], client), Frame(Text, Hello, client)), protocol);
            Add("second close", Concat(Frame(Close, [], client), Frame(Close, [], client)), protocol);
            Add("continuation after close between fragments", Concat(
                Frame(Text, Hello, client, fin: false), Frame(Close, [], client), Frame(Continuation, Hello, client)), protocol);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedStreams))]
    public void Validate_MalformedStream_SameViolationAtEverySplit(string name, bool fromClient, bool compression, byte[] stream, ushort code)
    {
        Verdict verdict = RunAtEverySplit(stream, fromClient, compression);

        Assert.True(verdict.Status == WebSocketFrameStatus.Violation, $"{name}: {verdict}");
        Assert.Equal(code, verdict.CloseCode);
        Assert.False(string.IsNullOrEmpty(verdict.Reason));
        Assert.False(verdict.AtMessageBoundary);
    }
}
