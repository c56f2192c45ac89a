using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace FastGate.Core.WebSockets;

/// <summary>Frames the proxy writes itself (the close it sends on a violation or on drain).</summary>
public static class WebSocketFrameWriter
{
    /// <summary>The longest close frame: 2 header bytes, a 4-byte mask key and a 125-byte payload.</summary>
    public const int MaxCloseFrameLength = 2 + 4 + 125;

    /// <summary>The longest close reason: 125 payload bytes less the 2-byte code.</summary>
    public const int MaxCloseReasonLength = 123;

    /// <summary>
    /// Writes a close frame (FIN, opcode 8) with <paramref name="code"/> and <paramref name="reason"/>
    /// (UTF-8; cut at a character boundary to 123 bytes) into <paramref name="destination"/>.
    /// <see cref="WebSocketCloseCodes.NoStatus"/> writes a close without a payload.
    /// When <paramref name="masked"/> (a frame to a server), the payload is masked with the four bytes
    /// of <paramref name="maskKey"/> in big-endian order. Returns the bytes written (at most 131).
    /// </summary>
    public static int WriteClose(Span<byte> destination, ushort code, ReadOnlySpan<byte> reason, bool masked, uint maskKey)
    {
        if (code != WebSocketCloseCodes.NoStatus && !WebSocketCloseCodes.IsValidOnWire(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "Not a close code that may be sent (RFC 6455 7.4).");
        }

        int reasonLength = 0;
        if (code != WebSocketCloseCodes.NoStatus)
        {
            reasonLength = ReasonLength(reason);
        }

        int payloadLength = code == WebSocketCloseCodes.NoStatus ? 0 : 2 + reasonLength;
        int headerLength = masked ? 6 : 2;
        if (destination.Length < headerLength + payloadLength)
        {
            throw new ArgumentException("Destination is too short for the close frame.", nameof(destination));
        }

        destination[0] = 0x80 | WebSocketOpcode.Close;
        destination[1] = (byte)((masked ? 0x80 : 0) | payloadLength);
        if (masked)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(2), maskKey);
        }

        Span<byte> payload = destination.Slice(headerLength, payloadLength);
        if (payloadLength != 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload, code);
            reason.Slice(0, reasonLength).CopyTo(payload.Slice(2));
            if (masked)
            {
                WebSocketMask.Apply(payload, payload, maskKey, 0);
            }
        }

        return headerLength + payloadLength;
    }

    /// <summary>
    /// Same as <see cref="WriteClose(Span{byte}, ushort, ReadOnlySpan{byte}, bool, uint)"/> with the reason as text
    /// (such as <see cref="WebSocketFrameValidator.Reason"/>), encoded on the stack; null or empty writes the code alone.
    /// </summary>
    [SkipLocalsInit]
    public static int WriteCloseText(Span<byte> destination, ushort code, string? reason, bool masked, uint maskKey)
    {
        Span<byte> utf8 = stackalloc byte[MaxCloseReasonLength * 3];
        ReadOnlySpan<char> text = reason.AsSpan();
        if (text.Length > MaxCloseReasonLength)
        {
            text = text.Slice(0, MaxCloseReasonLength);
            if (char.IsHighSurrogate(text[^1]))
            {
                text = text[..^1];
            }
        }

        int length = Encoding.UTF8.GetBytes(text, utf8);
        return WriteClose(destination, code, utf8.Slice(0, length), masked, maskKey);
    }

    /// <summary>The reason's length, cut to 123 bytes without splitting a UTF-8 sequence.</summary>
    private static int ReasonLength(ReadOnlySpan<byte> reason)
    {
        if (!Utf8.IsValid(reason))
        {
            throw new ArgumentException("The close reason is not UTF-8.", nameof(reason));
        }

        if (reason.Length <= MaxCloseReasonLength)
        {
            return reason.Length;
        }

        int length = MaxCloseReasonLength;
        while ((reason[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return length;
    }
}
