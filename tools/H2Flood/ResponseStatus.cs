namespace FastGate.Tools.H2Flood;

/// <summary>
/// The :status of a response HEADERS frame when it is the block's first field (as servers
/// write it): an indexed static entry (RFC 7541 Appendix A, 8 to 14) or a literal with the
/// static name :status, raw or Huffman-coded (digits only, Appendix B). A status behind a
/// dynamic-table index, or a trailer block, is "other": telling needs a whole HPACK decoder.
/// </summary>
internal static class ResponseStatus
{
    private const byte PADDED = 0x8, PRIORITY = 0x20;

    public static string Of(ReadOnlySpan<byte> payload, byte flags)
    {
        if ((flags & PADDED) != 0 && payload.Length > 0)
        {
            var pad = payload[0];
            payload = payload.Length - 1 >= pad ? payload[1..^pad] : [];
        }
        if ((flags & PRIORITY) != 0)
        {
            payload = payload.Length >= 5 ? payload[5..] : [];
        }
        // Dynamic table size updates (001xxxxx) may come first.
        while (payload.Length > 0 && (payload[0] & 0xe0) == 0x20)
        {
            var continued = (payload[0] & 0x1f) == 0x1f;
            payload = payload[1..];
            while (continued && payload.Length > 0)
            {
                continued = (payload[0] & 0x80) != 0;
                payload = payload[1..];
            }
        }
        if (payload.IsEmpty)
        {
            return "other";
        }
        var b = payload[0];
        switch (b)
        {
            case 0x88: return "200";
            case 0x89: return "204";
            case 0x8a: return "206";
            case 0x8b: return "304";
            case 0x8c: return "400";
            case 0x8d: return "404";
            case 0x8e: return "500";
        }
        // Literal with indexed name 8 (:status): incremental (01, 6-bit index), without
        // indexing (0000, 4-bit) or never indexed (0001, 4-bit); the name index may also be
        // one of the other :status entries (9 to 14), same name.
        int index;
        if ((b & 0xc0) == 0x40)
        {
            index = b & 0x3f;
        }
        else if ((b & 0xe0) == 0x00)
        {
            index = b & 0x0f;
        }
        else
        {
            return "other";
        }
        if (index is < 8 or > 14 || payload.Length < 2)
        {
            return "other";
        }
        var huffman = (payload[1] & 0x80) != 0;
        var length = payload[1] & 0x7f;
        if (length is 0 or > 4 || payload.Length < 2 + length)
        {
            return "other";
        }
        var value = payload.Slice(2, length);
        return huffman ? HuffmanDigits(value) : System.Text.Encoding.ASCII.GetString(value);
    }

    /// <summary>Decodes Huffman-coded digits: '0'..'2' are 5-bit codes 0..2, '3'..'9' 6-bit codes 0x19..0x1f.</summary>
    private static string HuffmanDigits(ReadOnlySpan<byte> value)
    {
        var bits = value.Length * 8;
        var text = new System.Text.StringBuilder(3);
        var pos = 0;
        while (bits - pos >= 5)
        {
            var five = Bits(value, pos, 5);
            if (five <= 2)
            {
                text.Append((char)('0' + five));
                pos += 5;
                continue;
            }
            if (bits - pos < 6)
            {
                break; // padding (all ones)
            }
            var six = Bits(value, pos, 6);
            if (six is < 0x19 or > 0x1f)
            {
                break; // not a digit, or padding
            }
            text.Append((char)('3' + six - 0x19));
            pos += 6;
        }
        return text.Length == 3 ? text.ToString() : "other";
    }

    private static int Bits(ReadOnlySpan<byte> value, int at, int n)
    {
        var v = 0;
        for (var i = 0; i < n; i++)
        {
            var bit = at + i;
            v = (v << 1) | ((value[bit / 8] >> (7 - bit % 8)) & 1);
        }
        return v;
    }
}
