namespace FastGate.Core.HPack;

/// <summary>
/// HPACK integers (RFC 7541 §5.1): an N-bit prefix, then 7 bits per continuation byte, least
/// significant group first. Values are limited to 31 bits (every length and index HPACK carries fits),
/// and so to five continuation bytes: a peer cannot make the decoder loop over padding bytes.
/// </summary>
internal static class HPackInteger
{
    /// <summary>The most bytes an encoded 31-bit integer takes: the prefix byte and five continuation bytes.</summary>
    public const int MaxLength = 6;

    private const int MaxContinuationBytes = 5;

    /// <summary>Reads the integer whose prefix byte is at <paramref name="position"/> (which must be inside <paramref name="source"/>).</summary>
    public static HPackError Decode(ReadOnlySpan<byte> source, ref int position, int prefixBits, out int value)
    {
        int mask = (1 << prefixBits) - 1;
        int result = source[position++] & mask;
        if (result < mask)
        {
            value = result;
            return HPackError.None;
        }

        value = 0;
        for (int i = 0, shift = 0; i < MaxContinuationBytes; i++, shift += 7)
        {
            if (position >= source.Length)
            {
                return HPackError.Truncated;
            }

            byte b = source[position++];
            long total = result + ((long)(b & 0x7F) << shift);
            if (total > int.MaxValue)
            {
                return HPackError.IntegerOverflow;
            }

            result = (int)total;
            if ((b & 0x80) == 0)
            {
                value = result;
                return HPackError.None;
            }
        }

        return HPackError.IntegerOverflow;
    }

    /// <summary>Writes <paramref name="value"/> with <paramref name="flags"/> in the prefix byte's high bits; <paramref name="destination"/> holds at least <see cref="MaxLength"/> bytes.</summary>
    public static int Encode(Span<byte> destination, int value, int prefixBits, byte flags)
    {
        int mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            destination[0] = (byte)(flags | value);
            return 1;
        }

        destination[0] = (byte)(flags | mask);
        value -= mask;
        int written = 1;
        while (value >= 0x80)
        {
            destination[written++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[written++] = (byte)value;
        return written;
    }
}
