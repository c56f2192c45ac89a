namespace FastGate.Core.HPack;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) of one connection direction: the static table, the
/// dynamic table this decoder keeps across blocks, integers, literal and Huffman strings, and
/// dynamic table size updates. A block is decoded whole (the caller joins HEADERS and
/// CONTINUATION payloads first). Nothing is allocated per block once the decoder's buffers are
/// grown. A block that fails with any error but <see cref="HPackError.HeaderListTooLarge"/> leaves
/// the decoder unusable (the connection ends with COMPRESSION_ERROR). A block that decodes past
/// the header list limit is still decoded to its end, so the dynamic table stays in step with the
/// peer's, but no field past the limit reaches the sink: the stream can be refused (431) and the
/// connection goes on.
/// </summary>
/// <remarks>
/// Literal strings reach the sink as slices of the block itself; Huffman strings are decoded into a
/// scratch array this decoder owns, grown to the largest string seen. No string longer than the header
/// list limit is kept, which bounds that array: such a field can never be accepted, so it is skipped
/// (its Huffman data still checked) and the block ends in <see cref="HPackError.HeaderListTooLarge"/>,
/// as any block that decodes past the limit does. Only when the field was to be added to a dynamic
/// table large enough to hold it is the block <see cref="HPackError.StringTooLong"/>: the table would
/// need the bytes this decoder refused to keep.
/// </remarks>
public sealed class HPackDecoder
{
    private readonly HPackDynamicTable _table;
    private readonly int _maxHeaderListSize;
    private byte[] _scratch = new byte[256];
    private HPackError _failure;
    private int _maxTableSize;
    private readonly int _initialTableSize;

    /// <param name="maxTableSize">SETTINGS_HEADER_TABLE_SIZE this side announced: the largest table a size update may ask for.</param>
    /// <param name="maxHeaderListSize">The most a block may decode to, counted as RFC 9113 §6.5.2 counts (name + value + 32 per field).</param>
    public HPackDecoder(int maxTableSize = 4096, int maxHeaderListSize = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTableSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTableSize, HPackDynamicTable.MaxSupportedSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        MaxTableSize = maxTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        _table = new HPackDynamicTable(maxTableSize);
        _initialTableSize = maxTableSize;
    }

    /// <summary>The limit a block may decode to, as given when the decoder was made.</summary>
    public int MaxHeaderListSize => _maxHeaderListSize;

    /// <summary>
    /// Makes the decoder as new (an empty table of the size it was made with, no failure), for a new
    /// connection: a pooled decoder costs its new connection no allocation.
    /// </summary>
    public void Reset()
    {
        _table.EvictAll();
        _table.SetMaxSize(_initialTableSize);
        _maxTableSize = _initialTableSize;
        _failure = HPackError.None;
    }

    /// <summary>The limit a dynamic table size update may ask for; changed when this side announces another SETTINGS_HEADER_TABLE_SIZE.</summary>
    /// <remarks>The table itself changes only when the peer's next size update arrives (RFC 7541 §4.2).</remarks>
    public int MaxTableSize
    {
        get => _maxTableSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, HPackDynamicTable.MaxSupportedSize);
            _maxTableSize = value;
        }
    }

    /// <summary>The dynamic table's size now (RFC 7541 §4.1 sizes).</summary>
    public int TableSize => _table.Size;

    /// <summary>Entries in the dynamic table now.</summary>
    public int TableCount => _table.Count;

    /// <summary>Decodes one whole header block, giving each field to <paramref name="sink"/> in order.</summary>
    public HPackError Decode(ReadOnlySpan<byte> block, IHPackHeaderSink sink)
    {
        if (_failure != HPackError.None)
        {
            // The table may be out of step with the peer's: nothing after a failed block can be trusted.
            return _failure;
        }

        var state = new BlockState();
        int position = 0;
        while (position < block.Length)
        {
            byte first = block[position];
            HPackError error;
            if (first >= 0x80)
            {
                // Indexed Header Field (§6.1): 1xxxxxxx, index with a 7-bit prefix.
                error = DecodeIndexed(block, ref position, sink, ref state);
            }
            else if (first >= 0x40)
            {
                // Literal with Incremental Indexing (§6.2.1): 01xxxxxx, name index with a 6-bit prefix.
                error = DecodeLiteral(block, ref position, 6, index: true, sink, ref state);
            }
            else if (first >= 0x20)
            {
                // Dynamic Table Size Update (§6.3): 001xxxxx, only before the block's first field (§4.2).
                error = state.FieldSeen ? HPackError.MisplacedTableSizeUpdate : DecodeSizeUpdate(block, ref position);
            }
            else
            {
                // Literal without Indexing (0000xxxx) or Never Indexed (0001xxxx) (§6.2.2, §6.2.3).
                error = DecodeLiteral(block, ref position, 4, index: false, sink, ref state);
            }

            if (error != HPackError.None)
            {
                _failure = error;
                return error;
            }
        }

        return state.TooLarge ? HPackError.HeaderListTooLarge : HPackError.None;
    }

    private HPackError DecodeIndexed(ReadOnlySpan<byte> block, ref int position, IHPackHeaderSink sink, ref BlockState state)
    {
        HPackError error = HPackInteger.Decode(block, ref position, 7, out int index);
        if (error != HPackError.None)
        {
            return error;
        }

        if (index == 0)
        {
            return HPackError.BadIndex;
        }

        if (index <= HPackStaticTable.Count)
        {
            Deliver(HPackStaticTable.Name(index), HPackStaticTable.Value(index), sink, ref state);
            return HPackError.None;
        }

        index -= HPackStaticTable.Count;
        if (index > _table.Count)
        {
            return HPackError.BadIndex;
        }

        _table.Field(index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value);
        Deliver(name, value, sink, ref state);
        return HPackError.None;
    }

    private HPackError DecodeLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits, bool index, IHPackHeaderSink sink, ref BlockState state)
    {
        HPackError error = HPackInteger.Decode(block, ref position, prefixBits, out int nameIndex);
        if (error != HPackError.None)
        {
            return error;
        }

        ReadOnlySpan<byte> name;
        int scratchUsed = 0;
        bool nameTooLong = false;
        if (nameIndex == 0)
        {
            error = DecodeString(block, ref position, 0, out name, out scratchUsed, out nameTooLong);
            if (error != HPackError.None)
            {
                return error;
            }
        }
        else if (nameIndex <= HPackStaticTable.Count)
        {
            name = HPackStaticTable.Name(nameIndex);
        }
        else if (nameIndex - HPackStaticTable.Count <= _table.Count)
        {
            name = _table.Name(nameIndex - HPackStaticTable.Count);
            if (index)
            {
                // Adding this field may evict the entry the name lives in and move the table's bytes:
                // keep a copy in the scratch array, ahead of the value.
                EnsureScratch(name.Length);
                name.CopyTo(_scratch);
                scratchUsed = name.Length;
                name = _scratch.AsSpan(0, scratchUsed);
            }
        }
        else
        {
            return HPackError.BadIndex;
        }

        error = DecodeString(block, ref position, scratchUsed, out ReadOnlySpan<byte> value, out _, out bool valueTooLong);
        if (error != HPackError.None)
        {
            return error;
        }

        if (nameTooLong || valueTooLong)
        {
            // This one field is past the header list limit: it never reaches the sink.
            state.FieldSeen = true;
            state.TooLarge = true;
            if (index)
            {
                if (_maxHeaderListSize + 1 + HPackDynamicTable.EntryOverhead <= _table.MaxSize)
                {
                    return HPackError.StringTooLong;
                }

                // Larger than the whole table: adding it empties the table (RFC 7541 §4.4), as in the peer's.
                _table.EvictAll();
            }

            return HPackError.None;
        }

        // The name may have been decoded into a scratch array that the value's decoding replaced
        // with a larger one; the old array still holds it, so the span stays valid.
        Deliver(name, value, sink, ref state);
        if (index)
        {
            _table.Add(name, value);
        }

        return HPackError.None;
    }

    private HPackError DecodeSizeUpdate(ReadOnlySpan<byte> block, ref int position)
    {
        HPackError error = HPackInteger.Decode(block, ref position, 5, out int size);
        if (error != HPackError.None)
        {
            return error;
        }

        if (size > MaxTableSize)
        {
            return HPackError.TableSizeTooLarge;
        }

        _table.SetMaxSize(size);
        return HPackError.None;
    }

    // A string literal (§5.2): H bit, length with a 7-bit prefix, then the bytes. Huffman strings are
    // decoded into the scratch array at scratchOffset; scratchEnd is where the next string may go. A
    // string longer than the header list limit is skipped (tooLong), its Huffman data only checked.
    private HPackError DecodeString(ReadOnlySpan<byte> block, scoped ref int position, int scratchOffset, out ReadOnlySpan<byte> value, out int scratchEnd, out bool tooLong)
    {
        value = default;
        scratchEnd = scratchOffset;
        tooLong = false;
        if (position >= block.Length)
        {
            return HPackError.Truncated;
        }

        bool huffman = (block[position] & 0x80) != 0;
        HPackError error = HPackInteger.Decode(block, ref position, 7, out int length);
        if (error != HPackError.None)
        {
            return error;
        }

        if (length > block.Length - position)
        {
            return HPackError.Truncated;
        }

        ReadOnlySpan<byte> encoded = block.Slice(position, length);
        position += length;
        if (length > _maxHeaderListSize)
        {
            tooLong = true;
            return !huffman || HPackHuffman.IsValid(encoded) ? HPackError.None : HPackError.BadHuffman;
        }

        if (!huffman)
        {
            value = encoded;
            return HPackError.None;
        }

        // The shortest code has 5 bits, so n bytes decode to at most 8n/5 bytes.
        int room = (int)Math.Min(length * 8L / 5, _maxHeaderListSize);
        EnsureScratch(scratchOffset + room);
        int decoded = HPackHuffman.Decode(encoded, _scratch.AsSpan(scratchOffset, room));
        if (decoded == -2)
        {
            tooLong = true;
            return HPackHuffman.IsValid(encoded) ? HPackError.None : HPackError.BadHuffman;
        }

        if (decoded < 0)
        {
            return HPackError.BadHuffman;
        }

        value = _scratch.AsSpan(scratchOffset, decoded);
        scratchEnd = scratchOffset + decoded;
        return HPackError.None;
    }

    private void EnsureScratch(int length)
    {
        if (length > _scratch.Length)
        {
            var larger = new byte[Math.Max(length, 2 * _scratch.Length)];
            _scratch.CopyTo(larger, 0);
            _scratch = larger;
        }
    }

    private void Deliver(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, IHPackHeaderSink sink, ref BlockState state)
    {
        state.FieldSeen = true;
        state.ListSize += name.Length + value.Length + HPackDynamicTable.EntryOverhead;
        if (state.ListSize > _maxHeaderListSize)
        {
            // An HPACK bomb (or just a large head): the rest of the block is still decoded so that
            // the dynamic table stays in step, but nothing more reaches the sink.
            state.TooLarge = true;
        }

        if (!state.TooLarge)
        {
            sink.OnHeader(name, value);
        }
    }

    private struct BlockState
    {
        public bool FieldSeen;
        public bool TooLarge;
        public long ListSize;
    }
}
