using System.Numerics;
using System.Runtime.InteropServices;

namespace FastGate.Core.HPack;

/// <summary>
/// The dynamic table of one HPACK context (RFC 7541 §2.3.2, §4). Entries' name and value bytes
/// lie back to back in one byte array, oldest first, between <c>_start</c> and <c>_end</c>; the
/// entries themselves are a ring of 16-byte (offset, lengths, field hash) records, four to a cache
/// line, the newest just before <c>_head</c>. Adding appends at <c>_end</c>; evicting only moves
/// <c>_start</c>. When the append would run past the array, the live bytes are moved to its front:
/// the array holds twice the table's maximum size, so that move happens at most once per maximum
/// size of bytes added and costs no more than copying what was added. Nothing is allocated per
/// entry; the arrays are reallocated only when the maximum size grows.
/// </summary>
/// <remarks>
/// The encoder's table also keeps two open-addressed indexes (by name, by name and value) of 8-byte
/// (hash, ring slot) pairs, probed linearly: a lookup reads a line of the index, compares hashes
/// there, and touches an entry and its bytes only on a hash match. Each index holds one pair per
/// distinct key, for the newest entry with it (the encoder never adds a field it found, and a
/// newer entry with a name already indexed takes over the name's pair). Evicting an entry removes
/// its pairs (those still naming it), shifting the pairs probed after it back, so the indexes hold
/// live entries only and never need rebuilding but when the ring grows. Many connections' tables
/// are in use at once and do not all stay in cache: what one lookup reads is kept to a few lines.
/// </remarks>
internal sealed class HPackDynamicTable
{
    /// <summary>RFC 7541 §4.1: every entry counts 32 octets on top of its name and value.</summary>
    public const int EntryOverhead = 32;

    /// <summary>The largest table supported (16 MiB; its byte array is twice that). SETTINGS allow up to 2^32 - 1.</summary>
    public const int MaxSupportedSize = 1 << 24;

    private const int NoSlot = -1;

    private readonly bool _indexed;
    private byte[] _bytes;
    private Entry[] _entries;
    // The encoder's only: each ring slot's name hash, read when its entry is evicted (not on lookups).
    private int[] _nameHashes = [];
    private IndexPair[] _fieldIndex = [];
    private IndexPair[] _nameIndex = [];
    // The ring slot the next entry goes to; the newest is the one before it.
    private int _head;
    // The ring slot of the last whole field Find found (or NoSlot): where it looks first next time.
    private int _lastFound = NoSlot;
    private int _count;
    private int _start;
    private int _end;

    /// <param name="indexed">Keep the indexes <see cref="Find"/> uses (the encoder's table).</param>
    public HPackDynamicTable(int maxSize, bool indexed = false)
    {
        _indexed = indexed;
        MaxSize = maxSize;
        _bytes = new byte[2 * maxSize];
        _entries = new Entry[EntryCapacity(maxSize)];
        RebuildIndexes();
    }

    /// <summary>The table's maximum size now, as the last size update (or the initial setting) set it.</summary>
    public int MaxSize { get; private set; }

    /// <summary>The sum of the entries' sizes (name + value + 32 each).</summary>
    public int Size { get; private set; }

    public int Count => _count;

    /// <summary>The number of pairs each index has room for (0 on a table without indexes); for tests.</summary>
    internal int IndexCapacity => _fieldIndex.Length;

    private int Mask => _entries.Length - 1;

    /// <summary>The name of entry <paramref name="index"/>, 1 being the newest.</summary>
    public ReadOnlySpan<byte> Name(int index)
    {
        ref Entry entry = ref _entries[(_head - index) & Mask];
        return _bytes.AsSpan(entry.Offset, entry.NameLength);
    }

    /// <summary>The name and value of entry <paramref name="index"/>, 1 being the newest: one look at the entry for both.</summary>
    public void Field(int index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        Entry entry = _entries[(_head - index) & Mask];
        ReadOnlySpan<byte> bytes = _bytes.AsSpan(entry.Offset, entry.NameLength + entry.ValueLength);
        name = bytes[..entry.NameLength];
        value = bytes[entry.NameLength..];
    }

    /// <summary>A size update (or the encoder's own limit changed): evicts down to <paramref name="maxSize"/>.</summary>
    public void SetMaxSize(int maxSize)
    {
        while (Size > maxSize)
        {
            EvictOldest();
        }

        if (EntryCapacity(maxSize) > _entries.Length)
        {
            // The live entries move to the new ring's first slots, oldest first; the indexes name ring
            // slots, so they are built again.
            var entries = new Entry[EntryCapacity(maxSize)];
            int[] nameHashes = _indexed ? new int[entries.Length] : [];
            for (int i = 0; i < _count; i++)
            {
                int slot = (_head - _count + i) & Mask;
                entries[i] = _entries[slot];
                if (_indexed)
                {
                    nameHashes[i] = _nameHashes[slot];
                }
            }

            _entries = entries;
            _nameHashes = nameHashes;
            _head = _count & Mask;
            _lastFound = NoSlot;
            RebuildIndexes();
        }

        if (2 * maxSize > _bytes.Length)
        {
            var bytes = new byte[2 * maxSize];
            MoveLiveBytes(bytes);
            _bytes = bytes;
        }

        MaxSize = maxSize;
    }

    /// <summary>
    /// Adds an entry, evicting the oldest ones to make room (RFC 7541 §4.4); an entry larger than the
    /// whole table empties it and is not added. <paramref name="name"/> and <paramref name="value"/>
    /// must not point into this table.
    /// </summary>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int nameHash = 0, int fieldHash = 0)
    {
        int size = name.Length + value.Length + EntryOverhead;
        if (size > MaxSize)
        {
            EvictAll();
            return;
        }

        while (Size + size > MaxSize)
        {
            EvictOldest();
        }

        int length = name.Length + value.Length;
        if (_end + length > _bytes.Length)
        {
            MoveLiveBytes(_bytes);
        }

        name.CopyTo(_bytes.AsSpan(_end));
        value.CopyTo(_bytes.AsSpan(_end + name.Length));
        int slot = _head;
        _entries[slot] = new Entry
        {
            Offset = _end,
            NameLength = name.Length,
            ValueLength = value.Length,
            FieldHash = fieldHash,
        };
        _head = (slot + 1) & Mask;
        _count++;
        _end += length;
        Size += size;
        if (_indexed)
        {
            _nameHashes[slot] = nameHash;
            Link(slot, nameHash, fieldHash);
        }
    }

    /// <summary>What adding an entry larger than the table does (RFC 7541 §4.4): the table is emptied.</summary>
    public void EvictAll()
    {
        _count = 0;
        _start = 0;
        _end = 0;
        Size = 0;
        _lastFound = NoSlot;
        _fieldIndex.AsSpan().Clear();
        _nameIndex.AsSpan().Clear();
    }

    /// <summary>
    /// The encoder's lookup (only on a table made with <c>indexed</c>): the newest entry with this name
    /// and value (when <paramref name="matchValue"/>), else 0, and in <paramref name="nameIndex"/> the
    /// newest entry with this name, else 0.
    /// </summary>
    public int Find(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int nameHash, int fieldHash, bool matchValue, out int nameIndex)
    {
        int mask = Mask;
        if (matchValue)
        {
            // The heads of one connection repeat their fields in the same order, and a block's new
            // fields went into the table in that order: the entry after the last one found is most
            // often this field. Tried first, it spares the index's cache line. The table never holds
            // a field twice (the encoder adds only what it did not find), so the entry found this way
            // is the one the index would find.
            int next = (_lastFound + 1) & mask;
            if (_lastFound != NoSlot && IndexOf(next) <= _count && IsField(next, name, value, fieldHash))
            {
                _lastFound = next;
                nameIndex = IndexOf(next);
                return nameIndex;
            }

            IndexPair[] fields = _fieldIndex;
            int pairMask = fields.Length - 1;
            for (int p = fieldHash & pairMask; fields[p].Entry != 0; p = (p + 1) & pairMask)
            {
                if (fields[p].Hash == fieldHash && IsField(fields[p].Entry - 1, name, value, fieldHash))
                {
                    int slot = fields[p].Entry - 1;
                    _lastFound = slot;
                    nameIndex = IndexOf(slot);
                    return nameIndex;
                }
            }
        }

        nameIndex = 0;
        int found = FindName(name, nameHash);
        if (found != NoSlot)
        {
            nameIndex = IndexOf(found);
        }

        return 0;
    }

    // The ring slot's index, 1 being the newest (and the oldest of a full ring its capacity).
    private int IndexOf(int slot) => ((_head - slot - 1) & Mask) + 1;

    private bool IsField(int slot, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int fieldHash)
    {
        ref Entry entry = ref _entries[slot];
        return entry.FieldHash == fieldHash
            && entry.NameLength == name.Length
            && entry.ValueLength == value.Length
            && _bytes.AsSpan(entry.Offset, name.Length).SequenceEqual(name)
            && _bytes.AsSpan(entry.Offset + name.Length, value.Length).SequenceEqual(value);
    }

    private bool HasName(int slot, ReadOnlySpan<byte> name)
    {
        ref Entry entry = ref _entries[slot];
        return entry.NameLength == name.Length && _bytes.AsSpan(entry.Offset, name.Length).SequenceEqual(name);
    }

    // The ring slot of the newest entry with this name, or NoSlot.
    private int FindName(ReadOnlySpan<byte> name, int nameHash)
    {
        IndexPair[] names = _nameIndex;
        int pairMask = names.Length - 1;
        for (int p = nameHash & pairMask; names[p].Entry != 0; p = (p + 1) & pairMask)
        {
            if (names[p].Hash == nameHash && HasName(names[p].Entry - 1, name))
            {
                return names[p].Entry - 1;
            }
        }

        return NoSlot;
    }

    // Every entry takes at least 32 octets, so maxSize / 32 entries at most; a power of two, so that a
    // slot is a mask, not a division.
    private static int EntryCapacity(int maxSize) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, maxSize / EntryOverhead));

    // Twice as many pairs as entries can live: at most half of an index is in use, so that linear
    // probing stays short (a hit or a miss reads a pair or two, one line).
    private static int PairCapacity(int entryCapacity) => 2 * entryCapacity;

    private void Link(int slot, int nameHash, int fieldHash)
    {
        // The entry just added is the newest: it takes over its field's and its name's pairs, if any.
        Span<byte> bytes = _bytes;
        ref Entry entry = ref _entries[slot];
        ReadOnlySpan<byte> name = bytes.Slice(entry.Offset, entry.NameLength);
        ReadOnlySpan<byte> value = bytes.Slice(entry.Offset + entry.NameLength, entry.ValueLength);

        IndexPair[] fields = _fieldIndex;
        int pairMask = fields.Length - 1;
        int p = fieldHash & pairMask;
        for (; fields[p].Entry != 0; p = (p + 1) & pairMask)
        {
            if (fields[p].Hash == fieldHash && IsField(fields[p].Entry - 1, name, value, fieldHash))
            {
                break;
            }
        }

        fields[p] = new IndexPair { Hash = fieldHash, Entry = slot + 1 };

        IndexPair[] names = _nameIndex;
        p = nameHash & pairMask;
        for (; names[p].Entry != 0; p = (p + 1) & pairMask)
        {
            if (names[p].Hash == nameHash && HasName(names[p].Entry - 1, name))
            {
                break;
            }
        }

        names[p] = new IndexPair { Hash = nameHash, Entry = slot + 1 };
    }

    // Removes the pair naming this ring slot, if the index still has one (a newer entry may have taken it
    // over), moving back the pairs probed after it so that no probe stops short of them.
    private static void Unlink(IndexPair[] index, int hash, int slot)
    {
        int mask = index.Length - 1;
        int hole = hash & mask;
        while (index[hole].Entry != slot + 1)
        {
            if (index[hole].Entry == 0)
            {
                return;
            }

            hole = (hole + 1) & mask;
        }

        for (int p = (hole + 1) & mask; index[p].Entry != 0; p = (p + 1) & mask)
        {
            // A pair may fill the hole if the hole lies between its home and where it is now.
            int home = index[p].Hash & mask;
            if (((p - home) & mask) >= ((p - hole) & mask))
            {
                index[hole] = index[p];
                hole = p;
            }
        }

        index[hole] = default;
    }

    private void RebuildIndexes()
    {
        if (!_indexed)
        {
            return;
        }

        if (_nameHashes.Length != _entries.Length)
        {
            _nameHashes = new int[_entries.Length];
        }

        _fieldIndex = new IndexPair[PairCapacity(_entries.Length)];
        _nameIndex = new IndexPair[_fieldIndex.Length];
        for (int i = _count; i > 0; i--)
        {
            int slot = (_head - i) & Mask;
            Link(slot, _nameHashes[slot], _entries[slot].FieldHash);
        }
    }

    private void EvictOldest()
    {
        int slot = (_head - _count) & Mask;
        ref Entry oldest = ref _entries[slot];
        Size -= oldest.NameLength + oldest.ValueLength + EntryOverhead;
        _count--;
        if (_indexed)
        {
            Unlink(_fieldIndex, oldest.FieldHash, slot);
            Unlink(_nameIndex, _nameHashes[slot], slot);
        }

        if (_count == 0)
        {
            _start = 0;
            _end = 0;
        }
        else
        {
            _start = _entries[(slot + 1) & Mask].Offset;
        }
    }

    // Moves the live bytes to the front of target (this table's array or a larger one) and rebases the offsets.
    private void MoveLiveBytes(byte[] target)
    {
        int shift = _start;
        _bytes.AsSpan(_start, _end - _start).CopyTo(target);
        for (int i = _count; i > 0; i--)
        {
            _entries[(_head - i) & Mask].Offset -= shift;
        }

        _start = 0;
        _end -= shift;
    }

    // One entry of the ring: 16 bytes, four to a cache line. FieldHash is 0 in a table without indexes.
    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public int Offset;
        public int NameLength;
        public int ValueLength;
        public int FieldHash;
    }

    // One pair of an index: the key's hash (compared before any entry is touched) and the ring slot + 1 (0: free).
    [StructLayout(LayoutKind.Sequential)]
    private struct IndexPair
    {
        public int Hash;
        public int Entry;
    }
}
