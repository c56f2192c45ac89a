using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastGate.Core.Tls;

/// <summary>
/// Finds the server name (SNI, RFC 6066 §3) in a TLS ClientHello without terminating TLS, for
/// routing passthrough connections. It is given everything the client has sent so far and says
/// <see cref="TlsClientHelloStatus.NeedMore"/>, <see cref="TlsClientHelloStatus.Found"/> or
/// <see cref="TlsClientHelloStatus.Invalid"/>. A call walks the record headers only, from where
/// the last call stopped (<see cref="TlsClientHelloScanState"/>), until the whole handshake
/// message is in hand, and parses the message once; so a hello trickled byte by byte, or in
/// thousands of one-byte records, costs linear time, bounded by <c>maxBytes</c>. It allocates
/// nothing; a hello split across segments or records is gathered into a pooled buffer.
/// <code>
/// TLSPlaintext (RFC 8446 §5.1)          Handshake (§4)            ClientHello (§4.1.2)
/// +------+---------+--------+--------+  +------+----------+------+  legacy_version      2
/// | type | version | length | bytes  |  | type | length   | body |  random              32
/// |  22  | 3.x     | 2 B    | ...    |  |  1   | 3 B      | ...  |  session_id          1 + 0..32
/// +------+---------+--------+--------+  +------+----------+------+  cipher_suites       2 + 2..65534
///  a handshake message may span records                             compression_methods 1 + 1..255
///                                                                   extensions          2 + ... (optional)
/// </code>
/// </summary>
public static class TlsClientHelloReader
{
    /// <summary>How much a passthrough listener buffers by default: real hellos are under 2 KiB, post-quantum ones under 4 KiB.</summary>
    public const int DefaultMaxBytes = 16 * 1024;

    /// <summary>The longest DNS name; the server name span given to <see cref="Read"/> must hold this many bytes.</summary>
    public const int MaxServerNameLength = 255;

    private const int RecordHeaderLength = 5;
    private const int HandshakeHeaderLength = 4;
    private const byte ContentTypeHandshake = 22;
    private const byte HandshakeTypeClientHello = 1;
    private const ushort ExtensionServerName = 0;
    private const byte NameTypeHostName = 0;
    // RFC 8446 §5.1: a record's plaintext fragment is at most 2^14 bytes.
    private const int MaxRecordPayload = 16 * 1024;

    /// <summary>
    /// Reads the ClientHello at the start of <paramref name="buffer"/>. On
    /// <see cref="TlsClientHelloStatus.Found"/> the host name, lower-cased and without a trailing
    /// dot, is in <paramref name="serverName"/>[..<paramref name="serverNameLength"/>] (length 0
    /// when the client sent none). Bytes after the ClientHello are not looked at.
    /// </summary>
    /// <param name="serverName">At least <see cref="MaxServerNameLength"/> bytes.</param>
    /// <param name="maxBytes">The most the caller will buffer; a hello that needs more is <see cref="TlsClientHelloError.Oversized"/>.</param>
    public static TlsClientHelloStatus Read(
        in ReadOnlySequence<byte> buffer, Span<byte> serverName, out int serverNameLength, out TlsClientHelloError error, int maxBytes = DefaultMaxBytes)
    {
        var state = default(TlsClientHelloScanState);
        return Read(buffer, ref state, serverName, out serverNameLength, out error, maxBytes);
    }

    /// <summary>
    /// <see cref="Read(in ReadOnlySequence{byte}, Span{byte}, out int, out TlsClientHelloError, int)"/>
    /// for a connection read after read: <paramref name="state"/> carries where the last call
    /// stopped, so the bytes already walked are not walked again. The buffer must start where it
    /// started for the last call.
    /// </summary>
    public static TlsClientHelloStatus Read(
        in ReadOnlySequence<byte> buffer, ref TlsClientHelloScanState state, Span<byte> serverName, out int serverNameLength, out TlsClientHelloError error,
        int maxBytes = DefaultMaxBytes)
    {
        if (serverName.Length < MaxServerNameLength)
        {
            throw new ArgumentException($"the server name span must hold {MaxServerNameLength} bytes", nameof(serverName));
        }
        serverNameLength = 0;
        var status = Scan(buffer, ref state, maxBytes, out var messageLength, out error);
        if (status != TlsClientHelloStatus.Found)
        {
            return status;
        }

        // The common case: the whole message in the first record of the first segment.
        var first = buffer.FirstSpan;
        var start = RecordHeaderLength + HandshakeHeaderLength;
        if (first.Length >= start + messageLength && BinaryPrimitives.ReadUInt16BigEndian(first[3..]) >= HandshakeHeaderLength + messageLength)
        {
            error = ParseClientHello(first.Slice(start, messageLength), serverName, out serverNameLength);
            return error == TlsClientHelloError.None ? TlsClientHelloStatus.Found : TlsClientHelloStatus.Invalid;
        }
        return ReadGathered(buffer, messageLength, serverName, out serverNameLength, out error);
    }

    /// <summary>The message spans segments or records: its payload is copied together first.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TlsClientHelloStatus ReadGathered(
        in ReadOnlySequence<byte> buffer, int messageLength, Span<byte> serverName, out int serverNameLength, out TlsClientHelloError error)
    {
        var rented = ArrayPool<byte>.Shared.Rent(HandshakeHeaderLength + messageLength);
        try
        {
            var message = rented.AsSpan(0, HandshakeHeaderLength + messageLength);
            CopyPayload(buffer, message);
            error = ParseClientHello(message[HandshakeHeaderLength..], serverName, out serverNameLength);
            return error == TlsClientHelloError.None ? TlsClientHelloStatus.Found : TlsClientHelloStatus.Invalid;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Walks the record headers until the first handshake message is whole. Checks every header it
    /// passes, and the handshake header as soon as it is in hand, so garbage is refused at its first
    /// bytes rather than after <paramref name="maxBytes"/>.
    /// </summary>
    private static TlsClientHelloStatus Scan(
        in ReadOnlySequence<byte> buffer, ref TlsClientHelloScanState state, int maxBytes, out int messageLength, out TlsClientHelloError error)
    {
        messageLength = state.MessageLengthPlusOne - 1;
        error = TlsClientHelloError.None;
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        Span<byte> handshake = stackalloc byte[HandshakeHeaderLength];
        var total = buffer.Length;
        var offset = state.NextRecord;
        var payloadBefore = state.PayloadBefore;
        while (true)
        {
            var left = total - offset;
            if (left < RecordHeaderLength)
            {
                // A partial header is checked as far as it goes.
                buffer.Slice(offset, left).CopyTo(header);
                error = CheckRecordHeader(header[..(int)left]);
                break;
            }
            buffer.Slice(offset, RecordHeaderLength).CopyTo(header);
            error = CheckRecordHeader(header);
            if (error != TlsClientHelloError.None)
            {
                break;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
            if (length is 0 or > MaxRecordPayload)
            {
                // RFC 8446 §5.1: no zero-length handshake fragments.
                error = TlsClientHelloError.BadLength;
                break;
            }
            var available = Math.Min(length, left - RecordHeaderLength);
            var payload = payloadBefore + available;
            if (messageLength < 0 && payload > 0)
            {
                var have = (int)Math.Min(payload, HandshakeHeaderLength);
                CopyPayload(buffer, handshake[..have]);
                if (handshake[0] != HandshakeTypeClientHello)
                {
                    error = TlsClientHelloError.NotClientHello;
                    break;
                }
                if (have == HandshakeHeaderLength)
                {
                    messageLength = (handshake[1] << 16) | (handshake[2] << 8) | handshake[3];
                    state.MessageLengthPlusOne = messageLength + 1;
                    if (RecordHeaderLength + HandshakeHeaderLength + (long)messageLength > maxBytes)
                    {
                        error = TlsClientHelloError.Oversized;
                        break;
                    }
                }
            }
            if (messageLength >= 0 && payload >= HandshakeHeaderLength + messageLength)
            {
                // The same cap whether the hello came in one read or many: where it ends counts.
                var end = offset + RecordHeaderLength + available - (payload - HandshakeHeaderLength - messageLength);
                if (end > maxBytes)
                {
                    error = TlsClientHelloError.Oversized;
                    break;
                }
                return TlsClientHelloStatus.Found;
            }
            if (available < length)
            {
                break;
            }
            offset += RecordHeaderLength + length;
            payloadBefore = payload;
            state.NextRecord = offset;
            state.PayloadBefore = payloadBefore;
        }
        if (error != TlsClientHelloError.None)
        {
            return TlsClientHelloStatus.Invalid;
        }
        if (total >= maxBytes)
        {
            error = TlsClientHelloError.Oversized;
            return TlsClientHelloStatus.Invalid;
        }
        return TlsClientHelloStatus.NeedMore;
    }

    /// <summary>Checks the bytes of a record header that have arrived (all five, or fewer).</summary>
    private static TlsClientHelloError CheckRecordHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length > 0 && header[0] != ContentTypeHandshake)
        {
            return TlsClientHelloError.NotHandshake;
        }
        if (header.Length > 1 && header[1] != 3)
        {
            return TlsClientHelloError.UnsupportedVersion;
        }
        // The minor is not checked: clients send 3.1 for compatibility whatever they speak, and
        // the upstream, not this router, decides what it accepts.
        return TlsClientHelloError.None;
    }

    /// <summary>Copies handshake payload bytes (the records' contents, headers left out) from the start of the records.</summary>
    private static void CopyPayload(in ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        long offset = 0;
        var written = 0;
        while (written < destination.Length)
        {
            buffer.Slice(offset, RecordHeaderLength).CopyTo(header);
            int length = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
            var take = (int)Math.Min(Math.Min(length, buffer.Length - offset - RecordHeaderLength), destination.Length - written);
            buffer.Slice(offset + RecordHeaderLength, take).CopyTo(destination[written..]);
            written += take;
            offset += RecordHeaderLength + length;
        }
    }

    /// <summary>Parses a whole ClientHello body; every length must agree with what it encloses.</summary>
    private static TlsClientHelloError ParseClientHello(ReadOnlySpan<byte> body, Span<byte> serverName, out int serverNameLength)
    {
        serverNameLength = 0;
        // legacy_version and random.
        if (body.Length < 2 + 32)
        {
            return TlsClientHelloError.BadLength;
        }
        if (body[0] != 3)
        {
            return TlsClientHelloError.UnsupportedVersion;
        }
        var rest = body[34..];
        if (!TakeVector(ref rest, 1, out var sessionId) || !TakeVector(ref rest, 2, out var cipherSuites) || !TakeVector(ref rest, 1, out var compression))
        {
            return TlsClientHelloError.BadLength;
        }
        if (sessionId.Length > 32 || cipherSuites.Length < 2 || (cipherSuites.Length & 1) != 0 || compression.Length < 1)
        {
            return TlsClientHelloError.Malformed;
        }
        if (rest.IsEmpty)
        {
            // No extensions at all (SSL 3.0 and some TLS 1.0 clients): no server name.
            return TlsClientHelloError.None;
        }
        if (!TakeVector(ref rest, 2, out var extensions) || !rest.IsEmpty)
        {
            return TlsClientHelloError.BadLength;
        }
        var found = false;
        while (!extensions.IsEmpty)
        {
            if (extensions.Length < 4)
            {
                return TlsClientHelloError.BadLength;
            }
            var type = BinaryPrimitives.ReadUInt16BigEndian(extensions);
            extensions = extensions[2..];
            if (!TakeVector(ref extensions, 2, out var data))
            {
                return TlsClientHelloError.BadLength;
            }
            if (type != ExtensionServerName)
            {
                continue;
            }
            if (found)
            {
                // RFC 8446 §4.2: no extension type twice; two names would be two routing answers.
                return TlsClientHelloError.Malformed;
            }
            found = true;
            var error = ParseServerName(data, serverName, out serverNameLength);
            if (error != TlsClientHelloError.None)
            {
                return error;
            }
        }
        return TlsClientHelloError.None;
    }

    /// <summary>The server_name extension: a list of (name_type, name); the host_name entry is taken.</summary>
    private static TlsClientHelloError ParseServerName(ReadOnlySpan<byte> data, Span<byte> serverName, out int serverNameLength)
    {
        serverNameLength = 0;
        if (!TakeVector(ref data, 2, out var list) || !data.IsEmpty || list.IsEmpty)
        {
            return TlsClientHelloError.BadLength;
        }
        var seen = false;
        while (!list.IsEmpty)
        {
            var nameType = list[0];
            list = list[1..];
            if (!TakeVector(ref list, 2, out var name))
            {
                return TlsClientHelloError.BadLength;
            }
            if (nameType != NameTypeHostName)
            {
                continue;
            }
            if (seen)
            {
                // RFC 6066 §3: at most one name of a type.
                return TlsClientHelloError.Malformed;
            }
            seen = true;
            if (!TryCopyHostName(name, serverName, out serverNameLength))
            {
                return TlsClientHelloError.BadServerName;
            }
        }
        return TlsClientHelloError.None;
    }

    /// <summary>
    /// Lower-cases a host name into <paramref name="destination"/>, without a trailing dot; false
    /// when it is empty, too long, or has a byte no DNS name has (RFC 6066 §3: ASCII host names).
    /// </summary>
    private static bool TryCopyHostName(ReadOnlySpan<byte> name, Span<byte> destination, out int length)
    {
        length = 0;
        if (!name.IsEmpty && name[^1] == (byte)'.')
        {
            name = name[..^1];
        }
        if (name.IsEmpty || name.Length > MaxServerNameLength)
        {
            return false;
        }
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is >= (byte)'A' and <= (byte)'Z')
            {
                c = (byte)(c | 0x20);
            }
            else if (!(c is >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_'))
            {
                return false;
            }
            destination[i] = c;
        }
        length = name.Length;
        return true;
    }

    /// <summary>Takes a vector with a <paramref name="lengthBytes"/>-byte big-endian length prefix; false when it overruns.</summary>
    private static bool TakeVector(ref ReadOnlySpan<byte> span, int lengthBytes, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (span.Length < lengthBytes)
        {
            return false;
        }
        var length = lengthBytes == 1 ? span[0] : BinaryPrimitives.ReadUInt16BigEndian(span);
        if (span.Length - lengthBytes < length)
        {
            return false;
        }
        vector = span.Slice(lengthBytes, length);
        span = span[(lengthBytes + length)..];
        return true;
    }
}
