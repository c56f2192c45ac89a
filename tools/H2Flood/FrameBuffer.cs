using System.Buffers.Binary;
using System.Text;

namespace FastGate.Tools.H2Flood;

/// <summary>
/// A growable byte buffer that HTTP/2 frames (RFC 9113 §4.1) and HPACK representations
/// (RFC 7541 §6, literals without Huffman coding) are appended to, then sent in one write.
/// Our own bytes on purpose: the tool must not share a bug with the codec it attacks.
/// </summary>
internal sealed class FrameBuffer
{
    public const byte DATA = 0x0, HEADERS = 0x1, RST_STREAM = 0x3, SETTINGS = 0x4, PING = 0x6,
        GOAWAY = 0x7, WINDOW_UPDATE = 0x8, CONTINUATION = 0x9;
    public const byte END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4;
    public const ushort SETTINGS_ENABLE_PUSH = 0x2, SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private byte[] _bytes = new byte[64 * 1024];

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _bytes.AsMemory(0, Length);

    public void Clear() => Length = 0;

    public void Append(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    public void Byte(byte b) => Grow(1)[0] = b;

    /// <summary>A frame header (length 24 bits, type, flags, stream id); the payload follows.</summary>
    public void FrameHeader(int length, byte type, byte flags, int streamId)
    {
        var h = Grow(9);
        h[0] = (byte)(length >> 16);
        h[1] = (byte)(length >> 8);
        h[2] = (byte)length;
        h[3] = type;
        h[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(h[5..], streamId & 0x7fffffff);
    }

    /// <summary>Sets the length of the frame that starts at <paramref name="frameStart"/> to what was appended after its header.</summary>
    public void PatchLength(int frameStart)
    {
        var length = Length - frameStart - 9;
        _bytes[frameStart] = (byte)(length >> 16);
        _bytes[frameStart + 1] = (byte)(length >> 8);
        _bytes[frameStart + 2] = (byte)length;
    }

    public void Settings(params (ushort Id, uint Value)[] settings)
    {
        FrameHeader(6 * settings.Length, SETTINGS, 0, 0);
        foreach (var (id, value) in settings)
        {
            var s = Grow(6);
            BinaryPrimitives.WriteUInt16BigEndian(s, id);
            BinaryPrimitives.WriteUInt32BigEndian(s[2..], value);
        }
    }

    public void SettingsAck() => FrameHeader(0, SETTINGS, ACK, 0);

    public void Ping(long opaque)
    {
        FrameHeader(8, PING, 0, 0);
        BinaryPrimitives.WriteInt64BigEndian(Grow(8), opaque);
    }

    public void RstStream(int streamId, uint code)
    {
        FrameHeader(4, RST_STREAM, 0, streamId);
        BinaryPrimitives.WriteUInt32BigEndian(Grow(4), code);
    }

    public void WindowUpdate(int streamId, int increment)
    {
        FrameHeader(4, WINDOW_UPDATE, 0, streamId);
        BinaryPrimitives.WriteInt32BigEndian(Grow(4), increment);
    }

    // ---------------------------------------------------------------- HPACK (RFC 7541)

    /// <summary>
    /// The request pseudo-header fields: :method and :scheme and (for "/") :path from the static
    /// table, :authority and any other path as literals without indexing, so the server's
    /// dynamic table is left alone.
    /// </summary>
    public void RequestPseudoHeaders(bool post, string path, string authority)
    {
        Byte(post ? (byte)0x83 : (byte)0x82); // :method GET (2) / POST (3)
        Byte(0x86);                           // :scheme http (6)
        if (path == "/")
        {
            Byte(0x84);                       // :path / (4)
        }
        else
        {
            Integer(0x00, 4, 4);              // literal without indexing, name :path (4)
            String(path);
        }
        Integer(0x00, 4, 1);                  // literal without indexing, name :authority (1)
        String(authority);
    }

    /// <summary>A literal field with a new name: without indexing, or with incremental indexing (added to the decoder's table).</summary>
    public void Literal(string name, string value, bool index)
    {
        Byte(index ? (byte)0x40 : (byte)0x00);
        String(name);
        String(value);
    }

    /// <summary>An indexed field (§6.1): one byte for indices up to 126.</summary>
    public void Indexed(int index) => Integer(0x80, 7, index);

    /// <summary>An integer with an N-bit prefix (§5.1), the first byte's high bits from <paramref name="pattern"/>.</summary>
    public void Integer(byte pattern, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            Byte((byte)(pattern | value));
            return;
        }
        Byte((byte)(pattern | max));
        value -= max;
        while (value >= 128)
        {
            Byte((byte)(value % 128 + 128));
            value /= 128;
        }
        Byte((byte)value);
    }

    /// <summary>A string literal without Huffman coding (§5.2).</summary>
    public void String(string s)
    {
        var n = Encoding.ASCII.GetByteCount(s);
        Integer(0x00, 7, n);
        Encoding.ASCII.GetBytes(s, Grow(n));
    }

    private Span<byte> Grow(int n)
    {
        if (Length + n > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + n));
        }
        var span = _bytes.AsSpan(Length, n);
        Length += n;
        return span;
    }
}
