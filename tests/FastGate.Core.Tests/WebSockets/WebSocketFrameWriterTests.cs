using System.Text;
using FastGate.Core.WebSockets;
using static FastGate.Core.Tests.WebSockets.WebSocketTestHelpers;

namespace FastGate.Core.Tests.WebSockets;

public class WebSocketFrameWriterTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteClose_CodeAndReason_IsTheFrameTheRfcDescribes(bool masked)
    {
        byte[] destination = new byte[WebSocketFrameWriter.MaxCloseFrameLength];
        int written = WebSocketFrameWriter.WriteClose(destination, WebSocketCloseCodes.GoingAway, "bye"u8, masked, RfcMaskKey);

        byte[] expected = Frame(Close, ClosePayload(WebSocketCloseCodes.GoingAway, "bye"u8), masked);
        Assert.Equal(expected, destination.AsSpan(0, written).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteClose_PassesTheValidatorOfTheReceivingSide(bool masked)
    {
        byte[] destination = new byte[WebSocketFrameWriter.MaxCloseFrameLength];
        int written = WebSocketFrameWriter.WriteClose(destination, WebSocketCloseCodes.ProtocolError, "reserved opcode"u8, masked, 0xA1B2C3D4);

        Verdict verdict = Run(destination[..written], fromClient: masked);
        Assert.Equal(WebSocketFrameStatus.Ok, verdict.Status);
        Assert.True(verdict.CloseSeen);
    }

    [Fact]
    public void WriteClose_NoStatus_WritesAnEmptyClose()
    {
        byte[] destination = new byte[WebSocketFrameWriter.MaxCloseFrameLength];
        int written = WebSocketFrameWriter.WriteClose(destination, WebSocketCloseCodes.NoStatus, "ignored"u8, masked: false, 0);

        Assert.Equal(new byte[] { 0x88, 0x00 }, destination[..written]);
    }

    [Fact]
    public void WriteClose_LongReason_CutTo123BytesAtACharacterBoundary()
    {
        // 61 two-byte characters (122 bytes) then one more: 124 bytes; the cut must not split the last one.
        byte[] reason = Encoding.UTF8.GetBytes(new string('\u00E9', 62));
        byte[] destination = new byte[WebSocketFrameWriter.MaxCloseFrameLength];
        int written = WebSocketFrameWriter.WriteClose(destination, WebSocketCloseCodes.Normal, reason, masked: true, RfcMaskKey);

        Assert.Equal(6 + 2 + 122, written);
        Verdict verdict = Run(destination[..written], fromClient: true);
        Assert.Equal(WebSocketFrameStatus.Ok, verdict.Status);

        byte[] ascii = Encoding.ASCII.GetBytes(new string('x', 200));
        written = WebSocketFrameWriter.WriteClose(destination, WebSocketCloseCodes.Normal, ascii, masked: false, 0);
        Assert.Equal(2 + 125, written);
        Assert.Equal(125, destination[1]);
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)1004)]
    [InlineData((ushort)1006)]
    [InlineData((ushort)1015)]
    [InlineData((ushort)2000)]
    [InlineData((ushort)5000)]
    public void WriteClose_CodeNotAllowedOnTheWire_Throws(ushort code)
    {
        byte[] destination = new byte[WebSocketFrameWriter.MaxCloseFrameLength];
        Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketFrameWriter.WriteClose(destination, code, default, masked: false, 0));
    }

    [Fact]
    public void WriteClose_DestinationTooShort_Throws()
    {
        byte[] destination = new byte[5];
        Assert.Throws<ArgumentException>(() => WebSocketFrameWriter.WriteClose(destination, WebSocketCloseCodes.Normal, "bye"u8, masked: false, 0));
    }

    [Fact]
    public void WriteCloseText_ViolationReason_SameFrameAsItsBytes()
    {
        WebSocketFrameValidator validator = NewValidator(fromClient: true);
        validator.Validate(Frame(Text, [0xFF], masked: true));
        byte[] fromText = new byte[WebSocketFrameWriter.MaxCloseFrameLength];
        byte[] fromBytes = new byte[WebSocketFrameWriter.MaxCloseFrameLength];

        int written = WebSocketFrameWriter.WriteCloseText(fromText, validator.CloseCode, validator.Reason, masked: false, 0);
        int expected = WebSocketFrameWriter.WriteClose(fromBytes, validator.CloseCode, Encoding.UTF8.GetBytes(validator.Reason!), masked: false, 0);

        Assert.Equal(fromBytes[..expected], fromText[..written]);
        Assert.Equal(WebSocketCloseCodes.InvalidPayload, (fromText[2] << 8) | fromText[3]);
        Assert.Equal(4, WebSocketFrameWriter.WriteCloseText(fromText, WebSocketCloseCodes.GoingAway, null, masked: false, 0));
        Assert.Equal(2 + 2 + 122, WebSocketFrameWriter.WriteCloseText(fromText, WebSocketCloseCodes.GoingAway, new string('\u00E9', 200), masked: false, 0));
    }
}
