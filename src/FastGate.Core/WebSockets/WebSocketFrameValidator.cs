using System.Buffers;
using System.Runtime.CompilerServices;

namespace FastGate.Core.WebSockets;

/// <summary>
/// Checks one direction of one WebSocket connection against RFC 6455 §5 as its bytes stream past,
/// split at any byte, without copying or changing them: the caller forwards exactly what it fed.
/// A mutable struct: keep it in a field and call it there, from the one loop that owns the direction.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-------+-+-------------+-------------------------------+
/// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
/// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
/// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
/// | |1|2|3|       |K|             |                               |
/// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
/// |     Extended payload length continued, if payload len == 127  |
/// + - - - - - - - - - - - - - - - +-------------------------------+
/// |                               |Masking-key, if MASK set to 1  |
/// +-------------------------------+-------------------------------+
/// | Masking-key (continued)       |          Payload Data         |
/// +-------------------------------- - - - - - - - - - - - - - - - +
/// </code>
/// Header fields are judged the byte they arrive in, so a violation is reported at the same byte
/// (with the same code and reason) whatever the pieces. Payload is read only when a rule needs it:
/// text of an uncompressed message when UTF-8 is validated, and close frames. A masked payload that
/// must be read is unmasked in chunks into a stack buffer; the fed bytes are never written.
/// </remarks>
public struct WebSocketFrameValidator
{
    /// <summary>Masked payload is unmasked into a stack buffer of this size, a chunk at a time.</summary>
    private const int UnmaskChunkBytes = 1024;

    private const byte Fin = 0x80;
    private const byte Rsv1 = 0x40;
    private const byte Rsv2And3 = 0x30;
    private const byte MaskBit = 0x80;
    private const int MaxControlPayload = 125;

    private enum State : byte
    {
        Header0,
        Header1,
        ExtendedLength,
        MaskKey,
        Payload,
        Failed,
    }

    private enum PayloadKind : byte
    {
        Skip,
        Utf8,
        Close,
    }

    private readonly long _maxFrameBytes;
    private readonly long _maxMessageBytes;
    private readonly bool _validateUtf8;
    private readonly bool _fromClient;
    private readonly bool _compressionNegotiated;

    private State _state;
    private PayloadKind _payloadKind;
    private byte _header0;
    private byte _lengthBytes;
    private byte _headerBytesLeft;
    private bool _inMessage;
    private bool _messageIsUtf8;
    private bool _closeSeen;
    private ushort _closeFrameCode;
    private ushort _violationCode;
    private uint _maskKey;
    private long _payloadLength;
    private long _payloadLeft;
    private long _messageBytes;
    private WebSocketUtf8Validator _messageUtf8;
    private WebSocketUtf8Validator _closeReasonUtf8;
    private string? _reason;

    /// <param name="limits">The route's frame and message limits and UTF-8 switch.</param>
    /// <param name="fromClient">True: frames must be masked (client to server); false: must not be.</param>
    /// <param name="compressionNegotiated">permessage-deflate was agreed (RFC 7692): RSV1 is allowed on the
    /// first frame of a data message, and UTF-8 is not checked for a message that has it set.</param>
    public WebSocketFrameValidator(WebSocketLimits limits, bool fromClient, bool compressionNegotiated)
    {
        _maxFrameBytes = limits.MaxFrameBytes <= 0 ? long.MaxValue : limits.MaxFrameBytes;
        _maxMessageBytes = limits.MaxMessageBytes <= 0 ? long.MaxValue : limits.MaxMessageBytes;
        _validateUtf8 = limits.ValidateUtf8;
        _fromClient = fromClient;
        _compressionNegotiated = compressionNegotiated;
    }

    /// <summary>After <see cref="WebSocketFrameStatus.Violation"/>: 1002, 1007 or 1009; 0 before.</summary>
    public readonly ushort CloseCode => _violationCode;

    /// <summary>After a violation: a short static reason for the close frame and the log; null before.</summary>
    public readonly string? Reason => _reason;

    /// <summary>A complete, valid close frame has passed; any further frame is a violation.</summary>
    public readonly bool CloseSeen => _closeSeen;

    /// <summary>The status code of the close frame that passed (<see cref="WebSocketCloseCodes.NoStatus"/> when it had no payload); 0 before.</summary>
    public readonly ushort CloseFrameCode => _closeFrameCode;

    /// <summary>
    /// Between frames and not inside a fragmented message: a frame written to this direction now
    /// (a close on drain) cannot land inside another frame or split a message.
    /// </summary>
    public readonly bool AtMessageBoundary => _state == State.Header0 && !_inMessage;

    /// <summary>Feeds the next bytes of the direction. Once a violation is reported, every later call reports it again.</summary>
    public WebSocketFrameStatus Validate(ReadOnlySpan<byte> data)
    {
        if (_state == State.Failed)
        {
            return WebSocketFrameStatus.Violation;
        }

        int i = 0;
        while (i < data.Length)
        {
            switch (_state)
            {
                case State.Payload:
                {
                    int take = (int)Math.Min(_payloadLeft, data.Length - i);
                    if (_payloadKind != PayloadKind.Skip && !ReadPayload(data.Slice(i, take)))
                    {
                        return WebSocketFrameStatus.Violation;
                    }

                    i += take;
                    _payloadLeft -= take;
                    if (_payloadLeft == 0 && !EndFrame())
                    {
                        return WebSocketFrameStatus.Violation;
                    }

                    break;
                }

                case State.Header0:
                    if (!OnHeader0(data[i++]))
                    {
                        return WebSocketFrameStatus.Violation;
                    }

                    break;

                case State.Header1:
                    if (!OnHeader1(data[i++]))
                    {
                        return WebSocketFrameStatus.Violation;
                    }

                    break;

                case State.ExtendedLength:
                    if (!OnExtendedLength(data[i++]))
                    {
                        return WebSocketFrameStatus.Violation;
                    }

                    break;

                case State.MaskKey:
                    _maskKey = (_maskKey << 8) | data[i++];
                    if (--_headerBytesLeft == 0 && !BeginPayload())
                    {
                        return WebSocketFrameStatus.Violation;
                    }

                    break;

                default:
                    return WebSocketFrameStatus.Violation;
            }
        }

        return WebSocketFrameStatus.Ok;
    }

    /// <summary>Same as <see cref="Validate(ReadOnlySpan{byte})"/> over each segment in turn.</summary>
    public WebSocketFrameStatus Validate(in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            return Validate(data.FirstSpan);
        }

        return ValidateSegments(data);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WebSocketFrameStatus ValidateSegments(in ReadOnlySequence<byte> data)
    {
        foreach (ReadOnlyMemory<byte> segment in data)
        {
            if (Validate(segment.Span) == WebSocketFrameStatus.Violation)
            {
                return WebSocketFrameStatus.Violation;
            }
        }

        return _state == State.Failed ? WebSocketFrameStatus.Violation : WebSocketFrameStatus.Ok;
    }

    private readonly int Opcode => _header0 & 0x0F;

    private bool OnHeader0(byte b)
    {
        if (_closeSeen)
        {
            // §5.5.1: the close frame is the last one a side sends.
            return Fail(WebSocketCloseCodes.ProtocolError, "frame after close");
        }

        int opcode = b & 0x0F;
        bool fin = (b & Fin) != 0;
        if (opcode is > WebSocketOpcode.Binary and < WebSocketOpcode.Close or > WebSocketOpcode.Pong)
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "reserved opcode");
        }

        if ((b & Rsv2And3) != 0)
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "reserved bit set");
        }

        if (opcode >= WebSocketOpcode.Close)
        {
            // §5.5: control frames are never fragmented; RSV1 (RFC 7692) is for data messages only.
            if (!fin)
            {
                return Fail(WebSocketCloseCodes.ProtocolError, "fragmented control frame");
            }

            if ((b & Rsv1) != 0)
            {
                return Fail(WebSocketCloseCodes.ProtocolError, "reserved bit set");
            }
        }
        else if (opcode == WebSocketOpcode.Continuation)
        {
            if (!_inMessage)
            {
                return Fail(WebSocketCloseCodes.ProtocolError, "continuation without a message");
            }

            // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only.
            if ((b & Rsv1) != 0)
            {
                return Fail(WebSocketCloseCodes.ProtocolError, "reserved bit set");
            }
        }
        else
        {
            if (_inMessage)
            {
                return Fail(WebSocketCloseCodes.ProtocolError, "new message inside a fragmented message");
            }

            if ((b & Rsv1) != 0 && !_compressionNegotiated)
            {
                return Fail(WebSocketCloseCodes.ProtocolError, "reserved bit set");
            }
        }

        _header0 = b;
        _state = State.Header1;
        return true;
    }

    private bool OnHeader1(byte b)
    {
        bool masked = (b & MaskBit) != 0;
        if (masked != _fromClient)
        {
            // §5.1: a client masks every frame, a server masks none.
            return Fail(WebSocketCloseCodes.ProtocolError, masked ? "masked frame from server" : "unmasked frame from client");
        }

        int length = b & 0x7F;
        if (Opcode >= WebSocketOpcode.Close && length > MaxControlPayload)
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "control frame over 125 bytes");
        }

        if (length >= 126)
        {
            _lengthBytes = length == 126 ? (byte)2 : (byte)8;
            _headerBytesLeft = _lengthBytes;
            _payloadLength = 0;
            _state = State.ExtendedLength;
            return true;
        }

        _payloadLength = length;
        return OnLength();
    }

    private bool OnExtendedLength(byte b)
    {
        if (_headerBytesLeft == 8 && b >= 0x80)
        {
            // §5.2: the most significant bit of a 64-bit length MUST be 0.
            return Fail(WebSocketCloseCodes.ProtocolError, "64-bit length with the high bit set");
        }

        _payloadLength = (_payloadLength << 8) | b;
        if (--_headerBytesLeft != 0)
        {
            return true;
        }

        // §5.2: "the minimal number of bytes MUST be used to encode the length".
        if (_lengthBytes == 2 ? _payloadLength < 126 : _payloadLength <= ushort.MaxValue)
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "length not in its minimal encoding");
        }

        return OnLength();
    }

    private bool OnLength()
    {
        int opcode = Opcode;
        if (opcode == WebSocketOpcode.Close && _payloadLength == 1)
        {
            // §5.5.1: a close body starts with a 2-byte code.
            return Fail(WebSocketCloseCodes.ProtocolError, "close payload of 1 byte");
        }

        if (_payloadLength > _maxFrameBytes)
        {
            return Fail(WebSocketCloseCodes.MessageTooBig, "frame too big");
        }

        if (opcode < WebSocketOpcode.Close)
        {
            long before = opcode == WebSocketOpcode.Continuation ? _messageBytes : 0;
            if (_payloadLength > _maxMessageBytes - before)
            {
                return Fail(WebSocketCloseCodes.MessageTooBig, "message too big");
            }
        }

        if (_fromClient)
        {
            _maskKey = 0;
            _headerBytesLeft = 4;
            _state = State.MaskKey;
            return true;
        }

        return BeginPayload();
    }

    private bool BeginPayload()
    {
        int opcode = Opcode;
        if (opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary)
        {
            _messageBytes = 0;
            _messageUtf8 = default;
            _messageIsUtf8 = opcode == WebSocketOpcode.Text && _validateUtf8 && (_header0 & Rsv1) == 0;
        }

        _payloadKind = opcode switch
        {
            WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
                => _messageIsUtf8 ? PayloadKind.Utf8 : PayloadKind.Skip,
            WebSocketOpcode.Close => PayloadKind.Close,
            _ => PayloadKind.Skip,
        };

        if (_payloadKind == PayloadKind.Close)
        {
            _closeFrameCode = 0;
            _closeReasonUtf8 = default;
        }

        _payloadLeft = _payloadLength;
        if (_payloadLeft == 0)
        {
            return EndFrame();
        }

        _state = State.Payload;
        return true;
    }

    private bool EndFrame()
    {
        int opcode = Opcode;
        if (opcode < WebSocketOpcode.Close)
        {
            _messageBytes += _payloadLength;
            if ((_header0 & Fin) == 0)
            {
                _inMessage = true;
            }
            else
            {
                _inMessage = false;
                if (_messageIsUtf8 && !_messageUtf8.IsComplete)
                {
                    return Fail(WebSocketCloseCodes.InvalidPayload, "text message ends inside a UTF-8 sequence");
                }
            }
        }
        else if (opcode == WebSocketOpcode.Close)
        {
            if (_payloadLength == 0)
            {
                _closeFrameCode = WebSocketCloseCodes.NoStatus;
            }
            else if (!_closeReasonUtf8.IsComplete)
            {
                return Fail(WebSocketCloseCodes.InvalidPayload, "close reason is not UTF-8");
            }

            _closeSeen = true;
        }

        _state = State.Header0;
        return true;
    }

    private bool ReadPayload(ReadOnlySpan<byte> chunk)
    {
        long position = _payloadLength - _payloadLeft;
        if (_payloadKind == PayloadKind.Close)
        {
            return ReadClosePayload(chunk, position);
        }

        if (!_fromClient)
        {
            return _messageUtf8.Append(chunk) || Fail(WebSocketCloseCodes.InvalidPayload, "text is not UTF-8");
        }

        return ReadMaskedText(chunk, position);
    }

    [SkipLocalsInit]
    private bool ReadMaskedText(ReadOnlySpan<byte> chunk, long position)
    {
        Span<byte> plain = stackalloc byte[UnmaskChunkBytes];
        while (!chunk.IsEmpty)
        {
            int n = Math.Min(chunk.Length, plain.Length);
            WebSocketMask.Apply(chunk.Slice(0, n), plain, _maskKey, position);
            if (!_messageUtf8.Append(plain.Slice(0, n)))
            {
                return Fail(WebSocketCloseCodes.InvalidPayload, "text is not UTF-8");
            }

            position += n;
            chunk = chunk.Slice(n);
        }

        return true;
    }

    [SkipLocalsInit]
    private bool ReadClosePayload(ReadOnlySpan<byte> chunk, long position)
    {
        // A close payload is at most 125 bytes (checked in the header), so one buffer holds any chunk of it.
        Span<byte> plain = stackalloc byte[MaxControlPayload];
        scoped ReadOnlySpan<byte> bytes = chunk;
        if (_fromClient)
        {
            WebSocketMask.Apply(chunk, plain, _maskKey, position);
            bytes = plain.Slice(0, chunk.Length);
        }

        int i = 0;
        while (position < 2 && i < bytes.Length)
        {
            _closeFrameCode = (ushort)((_closeFrameCode << 8) | bytes[i++]);
            if (++position == 2 && !WebSocketCloseCodes.IsValidOnWire(_closeFrameCode))
            {
                return Fail(WebSocketCloseCodes.ProtocolError, "invalid close code");
            }
        }

        return _closeReasonUtf8.Append(bytes.Slice(i)) || Fail(WebSocketCloseCodes.InvalidPayload, "close reason is not UTF-8");
    }

    private bool Fail(ushort code, string reason)
    {
        _state = State.Failed;
        _violationCode = code;
        _reason = reason;
        return false;
    }
}
