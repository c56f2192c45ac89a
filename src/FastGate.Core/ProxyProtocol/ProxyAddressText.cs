using System.Buffers.Text;

namespace FastGate.Core.ProxyProtocol;

/// <summary>
/// Addresses and ports in the text form of a v1 header, parsed and written without allocating.
/// The spec asks for canonical forms: IPv4 as four decimals 0..255 without leading zeros (a
/// leading zero could be read as octal), IPv6 as colon-separated hex groups with at most one
/// "::", and ports as decimals 0..65535 without leading zeros.
/// </summary>
internal static class ProxyAddressText
{
    /// <summary>Longest IPv6 text this code writes: eight groups of four hex digits and seven colons.</summary>
    public const int MaxIPv6Length = 39;

    public static bool TryParseIPv4(ReadOnlySpan<byte> text, Span<byte> address)
    {
        var part = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '.')
            {
                continue;
            }
            if (part == 4 || !TryParseDecimal(text[start..i], 255, out var value))
            {
                return false;
            }
            address[part++] = (byte)value;
            start = i + 1;
        }
        return part == 4;
    }

    public static bool TryParsePort(ReadOnlySpan<byte> text, out ushort port)
    {
        port = 0;
        if (!TryParseDecimal(text, 65535, out var value))
        {
            return false;
        }
        port = (ushort)value;
        return true;
    }

    /// <summary>1 to 3 (IPv4 part) or 5 (port) digits, no sign, no leading zero, at most <paramref name="max"/>.</summary>
    private static bool TryParseDecimal(ReadOnlySpan<byte> text, int max, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 5 || (text[0] == '0' && text.Length > 1))
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit((char)c))
            {
                return false;
            }
            value = value * 10 + (c - '0');
        }
        return value <= max;
    }

    /// <summary>Hex groups of 1 to 4 digits, one "::" at most, optionally ending in a dotted IPv4 (two groups).</summary>
    public static bool TryParseIPv6(ReadOnlySpan<byte> text, Span<byte> address)
    {
        address[..16].Clear();
        if (text.Length < 2)
        {
            return false;
        }
        Span<byte> groups = stackalloc byte[16];
        var count = 0;
        var gap = -1;
        var i = 0;
        if (text[0] == ':')
        {
            if (text[1] != ':')
            {
                return false;
            }
            gap = 0;
            i = 2;
            if (i == text.Length)
            {
                return true;
            }
        }
        while (true)
        {
            if (count == 8)
            {
                return false;
            }
            var end = i;
            while (end < text.Length && text[end] != ':' && text[end] != '.')
            {
                end++;
            }
            if (end < text.Length && text[end] == '.')
            {
                // The rest is an embedded IPv4 address: it fills the last two groups.
                if (count > 6 || !TryParseIPv4(text[i..], groups[(count * 2)..]))
                {
                    return false;
                }
                count += 2;
                break;
            }
            var digits = end - i;
            if (digits is 0 or > 4)
            {
                return false;
            }
            var value = 0;
            for (var k = i; k < end; k++)
            {
                var nibble = HexValue(text[k]);
                if (nibble < 0)
                {
                    return false;
                }
                value = (value << 4) | nibble;
            }
            groups[count * 2] = (byte)(value >> 8);
            groups[count * 2 + 1] = (byte)value;
            count++;
            if (end == text.Length)
            {
                break;
            }
            // text[end] is ':'; a second one right after it is the gap.
            i = end + 1;
            if (i < text.Length && text[i] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }
                gap = count;
                i++;
                if (i == text.Length)
                {
                    break;
                }
            }
            else if (i == text.Length)
            {
                return false;
            }
        }
        if (gap < 0)
        {
            if (count != 8)
            {
                return false;
            }
            groups.CopyTo(address);
            return true;
        }
        // "::" stands for at least one group of zeros.
        if (count > 7)
        {
            return false;
        }
        groups[..(gap * 2)].CopyTo(address);
        var tail = (count - gap) * 2;
        groups.Slice(gap * 2, tail).CopyTo(address[(16 - tail)..]);
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    public static int WriteIPv4(ReadOnlySpan<byte> address, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                destination[written++] = (byte)'.';
            }
            Utf8Formatter.TryFormat(address[i], destination[written..], out var digits);
            written += digits;
        }
        return written;
    }

    /// <summary>The RFC 5952 form: lower-case hex, no leading zeros, the longest run of two or more zero groups as "::".</summary>
    public static int WriteIPv6(ReadOnlySpan<byte> address, Span<byte> destination)
    {
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8;)
        {
            if (Group(address, i) != 0)
            {
                i++;
                continue;
            }
            var start = i;
            while (i < 8 && Group(address, i) == 0)
            {
                i++;
            }
            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }
        var written = 0;
        for (var i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                destination[written++] = (byte)':';
                destination[written++] = (byte)':';
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength)
            {
                destination[written++] = (byte)':';
            }
            Utf8Formatter.TryFormat(Group(address, i), destination[written..], out var digits, new System.Buffers.StandardFormat('x'));
            written += digits;
        }
        return written;
    }

    private static int Group(ReadOnlySpan<byte> address, int index) => (address[index * 2] << 8) | address[index * 2 + 1];

    public static int WritePort(ushort port, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(port, destination, out var written);
        return written;
    }
}
