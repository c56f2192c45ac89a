using System.Text;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// A literal-only HPACK encoder (RFC 7541 §6.2.2, new names, raw strings): it never touches the
/// server's dynamic table and writes names exactly as given, so a test can send uppercase names,
/// duplicated or misplaced pseudo-headers, or append hand-written representations (indexed
/// fields, table size updates, Huffman strings, invalid indexes) to a block.
/// </summary>
public sealed class H2RequestBlock
{
    private readonly List<byte> _bytes = [];

    /// <summary>The request every case starts from: GET / over http with the listener as authority.</summary>
    public static H2RequestBlock Request(int port, string method = "GET", string path = "/") =>
        new H2RequestBlock()
            .Field(":method", method)
            .Field(":scheme", "http")
            .Field(":path", path)
            .Field(":authority", $"127.0.0.1:{port}");

    public static H2RequestBlock Fields(params (string Name, string Value)[] fields)
    {
        var block = new H2RequestBlock();
        foreach (var (name, value) in fields)
        {
            block.Field(name, value);
        }
        return block;
    }

    /// <summary>Literal header field without indexing, new name (first byte 0x00).</summary>
    public H2RequestBlock Field(string name, string value) => Literal(0x00, name, value);

    /// <summary>Literal header field with incremental indexing, new name (first byte 0x40): adds an entry to the server's table.</summary>
    public H2RequestBlock IndexedLiteral(string name, string value) => Literal(0x40, name, value);

    /// <summary>Indexed header field (RFC 7541 §6.1).</summary>
    public H2RequestBlock Indexed(int index)
    {
        WriteInteger(_bytes, index, 7, 0x80);
        return this;
    }

    /// <summary>Dynamic table size update (RFC 7541 §6.3).</summary>
    public H2RequestBlock TableSizeUpdate(int size)
    {
        WriteInteger(_bytes, size, 5, 0x20);
        return this;
    }

    /// <summary>Hand-written representation bytes.</summary>
    public H2RequestBlock RawBytes(ReadOnlySpan<byte> bytes)
    {
        _bytes.AddRange(bytes.ToArray());
        return this;
    }

    public H2RequestBlock RawHex(string hex) => RawBytes(Convert.FromHexString(hex));

    public byte[] ToArray() => _bytes.ToArray();

    public int Length => _bytes.Count;

    private H2RequestBlock Literal(byte pattern, string name, string value)
    {
        _bytes.Add(pattern);
        WriteString(_bytes, Encoding.Latin1.GetBytes(name));
        WriteString(_bytes, Encoding.Latin1.GetBytes(value));
        return this;
    }

    private static void WriteString(List<byte> output, byte[] raw)
    {
        WriteInteger(output, raw.Length, 7, 0x00);
        output.AddRange(raw);
    }

    /// <summary>RFC 7541 §5.1 integer with an N-bit prefix; <paramref name="pattern"/> holds the bits above the prefix.</summary>
    public static void WriteInteger(List<byte> output, int value, int prefixBits, byte pattern)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            output.Add((byte)(pattern | value));
            return;
        }
        output.Add((byte)(pattern | max));
        value -= max;
        while (value >= 128)
        {
            output.Add((byte)(value % 128 + 128));
            value /= 128;
        }
        output.Add((byte)value);
    }
}
