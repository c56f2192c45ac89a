namespace FastGate.Proxy.Stages.Auth;

/// <summary>
/// Finds a parameter in a query string and writes the query without it, on spans: the API-key
/// path must not allocate. Parameters are <c>&amp;</c>-separated <c>name=value</c> pairs
/// (WHATWG URL "application/x-www-form-urlencoded"); the name is matched as sent.
/// </summary>
internal static class QueryParameter
{
    /// <summary>
    /// The raw (still percent-encoded) value of <paramref name="name"/> in <paramref name="query"/>
    /// (with or without its leading '?'). Returns the number of times the name appears: 0, 1, or
    /// more, which the caller refuses as ambiguous.
    /// </summary>
    public static int Find(ReadOnlySpan<byte> query, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!query.IsEmpty && query[0] == (byte)'?')
        {
            query = query[1..];
        }
        var count = 0;
        while (!query.IsEmpty)
        {
            var end = query.IndexOf((byte)'&');
            var pair = end < 0 ? query : query[..end];
            query = end < 0 ? default : query[(end + 1)..];
            var eq = pair.IndexOf((byte)'=');
            var pairName = eq < 0 ? pair : pair[..eq];
            if (pairName.SequenceEqual(name))
            {
                count++;
                value = eq < 0 ? default : pair[(eq + 1)..];
            }
        }
        return count;
    }

    /// <summary>
    /// Percent-decodes <paramref name="encoded"/> into <paramref name="destination"/> ('+' is a
    /// space, as forms encode it). False for a '%' not followed by two hex digits, or no room.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, Span<byte> destination, out int written)
    {
        written = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            if (written == destination.Length)
            {
                return false;
            }
            var b = encoded[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= encoded.Length || !TryHex(encoded[i + 1], out var high) || !TryHex(encoded[i + 2], out var low))
                {
                    return false;
                }
                b = (byte)((high << 4) | low);
                i += 2;
            }
            else if (b == (byte)'+')
            {
                b = (byte)' ';
            }
            destination[written++] = b;
        }
        return true;
    }

    /// <summary>
    /// Writes <paramref name="query"/> without every <paramref name="name"/> parameter, with its
    /// leading '?' when anything is left. <paramref name="destination"/> must hold query.Length bytes.
    /// </summary>
    public static int WriteWithout(ReadOnlySpan<byte> query, ReadOnlySpan<byte> name, Span<byte> destination)
    {
        if (!query.IsEmpty && query[0] == (byte)'?')
        {
            query = query[1..];
        }
        var written = 0;
        while (!query.IsEmpty)
        {
            var end = query.IndexOf((byte)'&');
            var pair = end < 0 ? query : query[..end];
            query = end < 0 ? default : query[(end + 1)..];
            var eq = pair.IndexOf((byte)'=');
            if ((eq < 0 ? pair : pair[..eq]).SequenceEqual(name))
            {
                continue;
            }
            destination[written] = written == 0 ? (byte)'?' : (byte)'&';
            written++;
            pair.CopyTo(destination[written..]);
            written += pair.Length;
        }
        return written;
    }

    private static bool TryHex(byte c, out int value)
    {
        value = c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
