using FastGate.Core.WebSockets;
using static FastGate.Core.Tests.WebSockets.WebSocketTestHelpers;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>The per-route limits: frame and message sizes (1009) and the UTF-8 switch.</summary>
public class WebSocketFrameValidatorLimitsTests
{
    private static readonly WebSocketLimits Small = new(maxFrameBytes: 100, maxMessageBytes: 250, validateUtf8: true);

    public static TheoryData<bool> Sides => new() { true, false };

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_FrameAtTheLimits_Ok(bool client)
    {
        byte[] stream = Concat(
            Frame(Binary, new byte[100], client),
            Frame(Text, new byte[100], client, fin: false), Frame(Continuation, new byte[100], client, fin: false),
            Frame(Ping, new byte[100], client), Frame(Continuation, new byte[50], client),
            Frame(Binary, new byte[100], client));

        Verdict verdict = RunAtEverySplit(stream, client, limits: Small);

        Assert.Equal(WebSocketFrameStatus.Ok, verdict.Status);
        Assert.True(verdict.AtMessageBoundary);
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_FrameOverMaxFrameBytes_MessageTooBig(bool client)
    {
        Verdict verdict = RunAtEverySplit(Frame(Binary, new byte[101], client), client, limits: Small);

        Assert.Equal(WebSocketFrameStatus.Violation, verdict.Status);
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, verdict.CloseCode);
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_FrameOverMaxFrameBytes_JudgedOnTheHeaderBeforeAnyPayload(bool client)
    {
        // A 1 GiB frame announced: rejected at its last length byte, nothing of the payload is needed.
        byte[] header = Frame(Binary, [], client, declaredLength: 1L << 30)[..10];

        Verdict verdict = RunAtEverySplit(header, client, limits: Small);

        Assert.Equal(WebSocketFrameStatus.Violation, verdict.Status);
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, verdict.CloseCode);
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_FragmentsOverMaxMessageBytes_MessageTooBig(bool client)
    {
        byte[] stream = Concat(
            Frame(Binary, new byte[100], client, fin: false),
            Frame(Ping, new byte[100], client),
            Frame(Continuation, new byte[100], client, fin: false),
            Frame(Continuation, new byte[51], client));

        Verdict verdict = RunAtEverySplit(stream, client, limits: Small);

        Assert.Equal(WebSocketFrameStatus.Violation, verdict.Status);
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, verdict.CloseCode);
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_MessageSizeCountsFromZeroForEachMessage(bool client)
    {
        byte[] stream = Concat(
            Frame(Text, new byte[100], client, fin: false), Frame(Continuation, new byte[100], client),
            Frame(Text, new byte[100], client, fin: false), Frame(Continuation, new byte[100], client),
            Frame(Binary, new byte[100], client, fin: false), Frame(Continuation, new byte[100], client));

        Assert.Equal(WebSocketFrameStatus.Ok, RunAtEverySplit(stream, client, limits: Small).Status);
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_Utf8ValidationOff_InvalidTextPasses(bool client)
    {
        var limits = new WebSocketLimits(0, 0, validateUtf8: false);
        byte[] stream = Concat(
            Frame(Text, [0xFF, 0xFE], client),
            Frame(Text, [0x61, 0xE2], client, fin: false), Frame(Continuation, [0x28], client),
            Frame(Text, [0xE2, 0x82], client));

        Verdict verdict = RunAtEverySplit(stream, client, limits: limits);

        Assert.Equal(WebSocketFrameStatus.Ok, verdict.Status);
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_Utf8ValidationOff_CloseReasonStillChecked(bool client)
    {
        // The close reason is part of the close handshake, not message data: always UTF-8 (§5.5.1).
        var limits = new WebSocketLimits(0, 0, validateUtf8: false);

        Verdict verdict = RunAtEverySplit(Frame(Close, ClosePayload(1000, [0xFF]), client), client, limits: limits);

        Assert.Equal(WebSocketCloseCodes.InvalidPayload, verdict.CloseCode);
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Validate_CompressedTextIsNotUtf8Checked_ButTheNextUncompressedOneIs(bool client)
    {
        byte[] stream = Concat(
            Frame(Text, [0xFF, 0xFE], client, rsv: 4),
            Frame(Text, [0xFF], client, fin: false, rsv: 4), Frame(Continuation, [0xC0], client),
            Frame(Text, [0xFF], client));

        Verdict verdict = RunAtEverySplit(stream, client, compression: true);

        Assert.Equal(WebSocketFrameStatus.Violation, verdict.Status);
        Assert.Equal(WebSocketCloseCodes.InvalidPayload, verdict.CloseCode);
    }

    [Fact]
    public void Limits_ZeroOrNegative_MeanNoLimit()
    {
        var limits = new WebSocketLimits(0, -1, validateUtf8: true);
        Assert.Equal(long.MaxValue, limits.MaxFrameBytes);
        Assert.Equal(long.MaxValue, limits.MaxMessageBytes);

        // The largest length the wire can carry (2^63 - 1) passes the header checks of an unlimited validator.
        byte[] header = Frame(Binary, [], masked: false, declaredLength: long.MaxValue)[..10];
        var validator = new WebSocketFrameValidator(default, fromClient: false, compressionNegotiated: false);
        Assert.Equal(WebSocketFrameStatus.Ok, validator.Validate(header));
        Assert.False(validator.AtMessageBoundary);
    }

    [Fact]
    public void Limits_Default_Is16MiBAndUtf8()
    {
        WebSocketLimits limits = WebSocketLimits.Default;
        Assert.Equal(16L * 1024 * 1024, limits.MaxFrameBytes);
        Assert.Equal(16L * 1024 * 1024, limits.MaxMessageBytes);
        Assert.True(limits.ValidateUtf8);
    }
}
