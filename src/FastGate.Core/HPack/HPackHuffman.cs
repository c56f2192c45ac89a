namespace FastGate.Core.HPack;

/// <summary>
/// The Huffman code of RFC 7541 Appendix B. The code is canonical (codes of one length are
/// consecutive, in symbol order, and shorter codes come first), so the codes are derived here from
/// the 257 code lengths alone. Decoding walks a table built once: 256 states (the inner nodes of
/// the code tree) by 16 nibbles, each entry giving the next state, the symbol completed on the way
/// (a nibble completes at most one, as the shortest code has 5 bits), whether EOS was hit, and
/// whether stopping there is valid padding (RFC 7541 §5.2: at most 7 bits, all ones).
/// </summary>
internal static class HPackHuffman
{
    private const int Eos = 256;
    private const uint Emit = 1 << 8;
    private const uint Accept = 1 << 9;
    private const uint Fail = 1 << 10;

    // Code length in bits of each symbol 0..255 and EOS (256), from RFC 7541 Appendix B.
    private static ReadOnlySpan<byte> CodeLengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    private static readonly uint[] Codes = BuildCodes();

    // [state * 16 + nibble]: bits 0-7 next state, Emit/Accept/Fail flags, bits 16-23 the emitted symbol.
    private static readonly uint[] DecodeTable = BuildDecodeTable();

    /// <summary>Bytes the Huffman form of <paramref name="source"/> takes.</summary>
    public static int EncodedLength(ReadOnlySpan<byte> source)
    {
        ReadOnlySpan<byte> lengths = CodeLengths;
        long bits = 0;
        foreach (byte b in source)
        {
            bits += lengths[b];
        }

        return (int)((bits + 7) >> 3);
    }

    /// <summary>Writes the Huffman form of <paramref name="source"/>, padded with ones; returns the bytes written (<see cref="EncodedLength"/>).</summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        uint[] codes = Codes;
        ReadOnlySpan<byte> lengths = CodeLengths;
        ulong pending = 0;
        int pendingBits = 0;
        int written = 0;
        foreach (byte b in source)
        {
            int length = lengths[b];
            pending = (pending << length) | codes[b];
            pendingBits += length;
            while (pendingBits >= 8)
            {
                pendingBits -= 8;
                destination[written++] = (byte)(pending >> pendingBits);
            }

            // Keep only the bits not yet written, so the 64-bit accumulator never overflows.
            pending &= (1UL << pendingBits) - 1;
        }

        if (pendingBits > 0)
        {
            // Pad with the most significant bits of EOS, i.e. ones (RFC 7541 §5.2).
            destination[written++] = (byte)((pending << (8 - pendingBits)) | (0xFFu >> pendingBits));
        }

        return written;
    }

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/>: the decoded length,
    /// -1 for invalid data (EOS, padding longer than 7 bits or not all ones), -2 when the result
    /// does not fit in <paramref name="destination"/>.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        uint[] table = DecodeTable;
        uint state = 0;
        uint entry = Accept; // An empty string is valid.
        int written = 0;
        foreach (byte b in source)
        {
            entry = table[(state << 4) | (uint)(b >> 4)];
            if ((entry & (Emit | Fail)) != 0)
            {
                if ((entry & Fail) != 0)
                {
                    return -1;
                }

                if ((uint)written >= (uint)destination.Length)
                {
                    return -2;
                }

                destination[written++] = (byte)(entry >> 16);
            }

            state = entry & 0xFF;
            entry = table[(state << 4) | (uint)(b & 0xF)];
            if ((entry & (Emit | Fail)) != 0)
            {
                if ((entry & Fail) != 0)
                {
                    return -1;
                }

                if ((uint)written >= (uint)destination.Length)
                {
                    return -2;
                }

                destination[written++] = (byte)(entry >> 16);
            }

            state = entry & 0xFF;
        }

        return (entry & Accept) != 0 ? written : -1;
    }

    /// <summary>Checks Huffman data without keeping what it decodes to (a string too long to keep): true when valid.</summary>
    public static bool IsValid(ReadOnlySpan<byte> source)
    {
        uint[] table = DecodeTable;
        uint state = 0;
        uint entry = Accept;
        foreach (byte b in source)
        {
            entry = table[(state << 4) | (uint)(b >> 4)];
            if ((entry & Fail) != 0)
            {
                return false;
            }

            entry = table[((entry & 0xFF) << 4) | (uint)(b & 0xF)];
            if ((entry & Fail) != 0)
            {
                return false;
            }

            state = entry & 0xFF;
        }

        return (entry & Accept) != 0;
    }

    private static uint[] BuildCodes()
    {
        ReadOnlySpan<byte> lengths = CodeLengths;
        var codes = new uint[Eos + 1];
        uint code = 0;
        int previousLength = 0;
        // Canonical assignment: by length, then by symbol; each code is the previous one plus one,
        // shifted left by the growth in length.
        for (int length = 1; length <= 30; length++)
        {
            for (int symbol = 0; symbol <= Eos; symbol++)
            {
                if (lengths[symbol] != length)
                {
                    continue;
                }

                if (previousLength != 0)
                {
                    code = (code + 1) << (length - previousLength);
                }

                codes[symbol] = code;
                previousLength = length;
            }
        }

        return codes;
    }

    private static uint[] BuildDecodeTable()
    {
        ReadOnlySpan<byte> lengths = CodeLengths;
        uint[] codes = Codes;

        // The code tree: 256 inner nodes (0 = root) for 257 leaves; a child >= 0 is an inner
        // node, a child < 0 is the leaf of symbol ~child.
        var children = new short[256 * 2];
        children.AsSpan().Fill(short.MaxValue);
        int nodes = 1;
        for (int symbol = 0; symbol <= Eos; symbol++)
        {
            int node = 0;
            for (int bit = lengths[symbol] - 1; bit > 0; bit--)
            {
                ref short child = ref children[node * 2 + (int)((codes[symbol] >> bit) & 1)];
                if (child == short.MaxValue)
                {
                    child = (short)nodes++;
                }

                node = child;
            }

            children[node * 2 + (int)(codes[symbol] & 1)] = (short)~symbol;
        }

        // Valid stopping points: the root, and the nodes reached from it by one to seven 1 bits.
        var accepting = new bool[256];
        accepting[0] = true;
        for (int depth = 1, node = 0; depth <= 7; depth++)
        {
            node = children[node * 2 + 1];
            accepting[node] = true;
        }

        var table = new uint[256 * 16];
        for (int state = 0; state < nodes; state++)
        {
            for (int nibble = 0; nibble < 16; nibble++)
            {
                int node = state;
                uint flags = 0;
                uint symbol = 0;
                for (int bit = 3; bit >= 0; bit--)
                {
                    int child = children[node * 2 + ((nibble >> bit) & 1)];
                    if (child >= 0)
                    {
                        node = child;
                        continue;
                    }

                    if (~child == Eos)
                    {
                        flags = Fail;
                        break;
                    }

                    flags |= Emit;
                    symbol = (uint)~child;
                    node = 0;
                }

                if (flags != Fail && accepting[node])
                {
                    flags |= Accept;
                }

                table[state * 16 + nibble] = (uint)node | flags | (symbol << 16);
            }
        }

        return table;
    }
}
