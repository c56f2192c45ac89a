using System.Buffers;

namespace FastGate.Core.HPack;

/// <summary>
/// Encodes header blocks for one connection direction (RFC 7541). Fields found in the static
/// table are indexed; others are written as literals with incremental indexing into a dynamic
/// table this encoder keeps (bounded by what the peer allows), except sensitive ones
/// (authorization, cookie, set-cookie, proxy-authorization), which are never indexed. Strings are
/// Huffman-coded when that is shorter. Names are written lowercased.
/// </summary>
/// <remarks>
/// A field too large for three quarters of the table is written without indexing, so one large
/// value does not flush every entry the next blocks could reuse. Nothing is allocated per field;
/// a scratch array for lowercasing names grows to the longest name that needed it.
/// </remarks>
public sealed class HPackEncoder
{
    // RFC 9113 §6.5.2: SETTINGS_HEADER_TABLE_SIZE starts at 4096 until the peer says otherwise.
    private const int DefaultPeerTableSize = 4096;

    private readonly int _maxTableSize;
    private readonly HPackDynamicTable _table;
    private int _peerMaxTableSize = DefaultPeerTableSize;
    private bool _sizeUpdatePending;
    private int _smallestPendingSize;
    private long _tableVersion;
    private byte[] _nameScratch = new byte[64];

    /// <param name="maxTableSize">The largest dynamic table this encoder uses, whatever the peer allows.</param>
    public HPackEncoder(int maxTableSize = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTableSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTableSize, HPackDynamicTable.MaxSupportedSize);
        _maxTableSize = maxTableSize;
        // Using less than the decoder's maximum needs no size update: the decoder evicts later than
        // this encoder does, and an index counts from the newest entry, so both agree on every entry
        // this encoder still refers to.
        _table = new HPackDynamicTable(Math.Min(maxTableSize, DefaultPeerTableSize), indexed: true);
    }

    /// <summary>
    /// Makes the encoder as new (an empty table, the peer's table size back to the default, no
    /// size update pending), for a new connection: a pooled encoder costs it no allocation.
    /// </summary>
    public void Reset()
    {
        _table.EvictAll();
        _table.SetMaxSize(Math.Min(_maxTableSize, DefaultPeerTableSize));
        _peerMaxTableSize = DefaultPeerTableSize;
        _sizeUpdatePending = false;
        _smallestPendingSize = 0;
        _tableVersion++;
    }

    /// <summary>
    /// Changes whenever what this encoder writes for a given field may change: an entry added to
    /// (or evicted from) the dynamic table, its size set, a size update written or made pending.
    /// A block that left it as it was encodes to the same bytes again while it stays the same.
    /// </summary>
    public long TableVersion => _tableVersion;

    /// <summary>Huffman-codes strings when shorter (the default); off only to reproduce RFC 7541's plain examples.</summary>
    internal bool UseHuffman { get; init; } = true;

    /// <summary>
    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed: the table shrinks if needed and the next
    /// block starts with a size update.
    /// </summary>
    /// <remarks>The setting is 32 bits unsigned: pass values above <see cref="int.MaxValue"/> as <see cref="int.MaxValue"/>.</remarks>
    public void SetPeerMaxTableSize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (size == _peerMaxTableSize)
        {
            return;
        }

        _peerMaxTableSize = size;
        _tableVersion++;
        int tableSize = Math.Min(size, _maxTableSize);
        // RFC 7541 §4.2: if the size went down and up again between two blocks, the smallest one is
        // signalled first, so the decoder evicts what this encoder evicted.
        _smallestPendingSize = _sizeUpdatePending ? Math.Min(_smallestPendingSize, tableSize) : tableSize;
        _sizeUpdatePending = true;
        _table.SetMaxSize(tableSize);
    }

    /// <summary>Starts a block: writes a pending dynamic table size update, if any.</summary>
    public void BeginBlock(IBufferWriter<byte> output)
    {
        if (!_sizeUpdatePending)
        {
            return;
        }

        _sizeUpdatePending = false;
        _tableVersion++;
        if (_smallestPendingSize < _table.MaxSize)
        {
            WriteInteger(output, _smallestPendingSize, 5, 0x20);
        }

        WriteInteger(output, _table.MaxSize, 5, 0x20);
    }

    /// <summary>Writes <c>:status</c>, indexed when the static table has it.</summary>
    public void EncodeStatus(IBufferWriter<byte> output, int status)
    {
        int index = status switch
        {
            200 => 8,
            204 => 9,
            206 => 10,
            304 => 11,
            400 => 12,
            404 => 13,
            500 => 14,
            _ => 0,
        };
        if (index != 0)
        {
            WriteInteger(output, index, 7, 0x80);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(status, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 999);
        Span<byte> digits = [(byte)('0' + status / 100), (byte)('0' + status / 10 % 10), (byte)('0' + status % 10)];
        Encode(output, ":status"u8, digits);
    }

    /// <summary>Writes one field; <paramref name="neverIndex"/> forces a never-indexed literal.</summary>
    public void Encode(IBufferWriter<byte> output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndex = false)
    {
        name = Lowercase(name);
        int nameHash = HPackStaticTable.HashName(name);
        bool sensitive = neverIndex || IsSensitive(name);

        int nameIndex = HPackStaticTable.FindName(name, nameHash);
        if (nameIndex != 0 && !sensitive)
        {
            int fieldIndex = HPackStaticTable.FindField(nameIndex, value);
            if (fieldIndex != 0)
            {
                WriteInteger(output, fieldIndex, 7, 0x80);
                return;
            }
        }

        int fieldHash = sensitive ? 0 : HashField(nameHash, value);
        if (_table.Count != 0)
        {
            // Never a whole-field match for a sensitive field: §7.1.3, its value must not be compressed
            // against what other requests sent.
            int dynamicField = _table.Find(name, value, nameHash, fieldHash, matchValue: !sensitive, out int dynamicName);
            if (dynamicField != 0)
            {
                WriteInteger(output, HPackStaticTable.Count + dynamicField, 7, 0x80);
                return;
            }

            if (nameIndex == 0 && dynamicName != 0)
            {
                nameIndex = HPackStaticTable.Count + dynamicName;
            }
        }

        int entrySize = name.Length + value.Length + HPackDynamicTable.EntryOverhead;
        if (sensitive)
        {
            // Literal Never Indexed (§6.2.3): 0001xxxx, so intermediaries keep it out of their tables too.
            WriteLiteral(output, 0x10, 4, nameIndex, name, value);
        }
        else if (entrySize <= _table.MaxSize / 4 * 3)
        {
            // Literal with Incremental Indexing (§6.2.1): 01xxxxxx.
            WriteLiteral(output, 0x40, 6, nameIndex, name, value);
            _table.Add(name, value, nameHash, fieldHash);
            _tableVersion++;
        }
        else
        {
            // Literal without Indexing (§6.2.2): 0000xxxx.
            WriteLiteral(output, 0x00, 4, nameIndex, name, value);
        }
    }

    private static bool IsSensitive(ReadOnlySpan<byte> name) => name.Length switch
    {
        6 => name.SequenceEqual("cookie"u8),
        10 => name.SequenceEqual("set-cookie"u8),
        13 => name.SequenceEqual("authorization"u8),
        19 => name.SequenceEqual("proxy-authorization"u8),
        _ => false,
    };

    private static int HashField(int nameHash, ReadOnlySpan<byte> value)
    {
        // FNV-1a continued from the name's hash over a separator and the value.
        uint hash = ((uint)nameHash ^ 0xFF) * 16777619;
        foreach (byte b in value)
        {
            hash = (hash ^ b) * 16777619;
        }

        return (int)hash;
    }

    // HTTP/2 names are lowercase on the wire (RFC 9113 §8.2.1); HTTP/1.1 responses often are not.
    private ReadOnlySpan<byte> Lowercase(ReadOnlySpan<byte> name)
    {
        int upper = name.IndexOfAnyInRange((byte)'A', (byte)'Z');
        if (upper < 0)
        {
            return name;
        }

        if (name.Length > _nameScratch.Length)
        {
            _nameScratch = new byte[Math.Max(name.Length, 2 * _nameScratch.Length)];
        }

        Span<byte> lower = _nameScratch.AsSpan(0, name.Length);
        name.CopyTo(lower);
        for (int i = upper; i < lower.Length; i++)
        {
            byte b = lower[i];
            if (b - (uint)'A' <= 'Z' - 'A')
            {
                lower[i] = (byte)(b | 0x20);
            }
        }

        return lower;
    }

    private void WriteLiteral(IBufferWriter<byte> output, byte flags, int prefixBits, int nameIndex, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        WriteInteger(output, nameIndex, prefixBits, flags);
        if (nameIndex == 0)
        {
            WriteString(output, name);
        }

        WriteString(output, value);
    }

    private void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        int huffmanLength = UseHuffman ? HPackHuffman.EncodedLength(value) : int.MaxValue;
        bool huffman = huffmanLength < value.Length;
        int length = huffman ? huffmanLength : value.Length;
        Span<byte> span = output.GetSpan(HPackInteger.MaxLength + length);
        int written = HPackInteger.Encode(span, length, 7, huffman ? (byte)0x80 : (byte)0);
        if (huffman)
        {
            written += HPackHuffman.Encode(value, span[written..]);
        }
        else
        {
            value.CopyTo(span[written..]);
            written += value.Length;
        }

        output.Advance(written);
    }

    private static void WriteInteger(IBufferWriter<byte> output, int value, int prefixBits, byte flags)
    {
        Span<byte> span = output.GetSpan(HPackInteger.MaxLength);
        output.Advance(HPackInteger.Encode(span, value, prefixBits, flags));
    }
}
