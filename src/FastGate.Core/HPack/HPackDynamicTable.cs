using System.Numerics;
using System.Runtime.InteropServices;

namespace FastGate.Core.HPack;

/// <summary>
/// The dynamic table of one HPACK context (RFC 7541 §2.3.2, §4). Entries' name and value bytes
/// lie back to back in one byte array, oldest first, between <c>_start</c> and <c>_end</c>; the
/// entries themselves are a ring of (offset, lengths, hashes) over a second array, an entry's slot
/// being its insertion number masked by the ring's power-of-two size. Adding appends at <c>_end</c>;
/// evicting only moves <c>_start</c>. When the append would run past the array, the live bytes are
/// moved to its front: the array holds twice the table's maximum size, so that move happens at most
/// once per maximum size of bytes added and costs no more than copying what was added. Nothing is
/// allocated per entry; the arrays are reallocated only when the maximum size grows.
/// </summary>
/// <remarks>
/// The encoder's table also keeps two hash indexes (by name, by name and value): bucket heads hold the
/// newest entry's insertion number, each entry the next older one in its bucket. An evicted entry is
/// never unlinked: its number is older than the oldest live entry's, which ends every walk that reaches
/// it (everything after it in the chain is older still).
/// </remarks>
internal sealed class HPackDynamicTable
{
    /// <summary>RFC 7541 §4.1: every entry counts 32 octets on top of its name and value.</summary>
    public const int EntryOverhead = 32;

    /// <summary>The largest table supported (16 MiB; its byte array is twice that). SETTINGS allow up to 2^32 - 1.</summary>
    public const int MaxSupportedSize = 1 << 24;

    private const long NoEntry = -1;

    private readonly bool _indexed;
    private byte[] _bytes;
    private Entry[] _entries;
    private long[] _fieldBuckets = [];
    private long[] _nameBuckets = [];
    private long _nextId;
    // The insertion number of the last whole field Find found (or NoEntry): where it looks first next time.
    private long _lastFound = NoEntry;
    private int _count;
    private int _start;
    private int _end;

    /// <param name="indexed">Keep the hash indexes <see cref="Find"/> uses (the encoder's table).</param>
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

    private int Mask => _entries.Length - 1;

    /// <summary>The name of entry <paramref name="index"/>, 1 being the newest.</summary>
    public ReadOnlySpan<byte> Name(int index)
    {
        ref Entry entry = ref Slot(_nextId - index);
        return _bytes.AsSpan(entry.Offset, entry.NameLength);
    }

    /// <summary>The value of entry <paramref name="index"/>, 1 being the newest.</summary>
    public ReadOnlySpan<byte> Value(int index)
    {
        ref Entry entry = ref Slot(_nextId - index);
        return _bytes.AsSpan(entry.Offset + entry.NameLength, entry.ValueLength);
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
            var entries = new Entry[EntryCapacity(maxSize)];
            for (long id = _nextId - _count; id < _nextId; id++)
            {
                entries[(int)(id & (entries.Length - 1))] = Slot(id);
            }

            _entries = entries;
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
        long id = _nextId++;
        ref Entry entry = ref Slot(id);
        entry = new Entry
        {
            Offset = _end,
            NameLength = name.Length,
            ValueLength = value.Length,
            NameHash = nameHash,
            FieldHash = fieldHash,
        };
        if (_indexed)
        {
            Link(ref entry, id);
        }

        _count++;
        _end += length;
        Size += size;
    }

    /// <summary>What adding an entry larger than the table does (RFC 7541 §4.4): the table is emptied.</summary>
    public void EvictAll()
    {
        while (_count > 0)
        {
            EvictOldest();
        }
    }

    /// <summary>
    /// The encoder's lookup (only on a table made with <c>indexed</c>): the newest entry with this name
    /// and value (when <paramref name="matchValue"/>), else 0, and in <paramref name="nameIndex"/> the
    /// newest entry with this name, else 0.
    /// </summary>
    public int Find(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int nameHash, int fieldHash, bool matchValue, out int nameIndex)
    {
        long oldest = _nextId - _count;
        if (matchValue)
        {
            // The heads of one connection repeat their fields in the same order, and a block's new
            // fields went into the table in that order: the entry after the last one found is most
            // often this field. Tried first, it spares the bucket's cache line (the tables of many
            // connections do not stay in cache; this lookup was 3% of an h2c profile). The table
            // never holds a field twice (the encoder adds only what it did not find), so the entry
            // found this way is the one the hash chain would find.
            long next = _lastFound + 1;
            if (next >= oldest && next < _nextId && IsField(ref Slot(next), name, value, fieldHash))
            {
                _lastFound = next;
                nameIndex = (int)(_nextId - next);
                return nameIndex;
            }

            for (long id = _fieldBuckets[fieldHash & (_fieldBuckets.Length - 1)]; id >= oldest;)
            {
                ref Entry entry = ref Slot(id);
                if (IsField(ref entry, name, value, fieldHash))
                {
                    _lastFound = id;
                    nameIndex = (int)(_nextId - id);
                    return nameIndex;
                }

                id = entry.NextField;
            }
        }

        nameIndex = 0;
        for (long id = _nameBuckets[nameHash & (_nameBuckets.Length - 1)]; id >= oldest;)
        {
            ref Entry entry = ref Slot(id);
            if (entry.NameHash == nameHash && _bytes.AsSpan(entry.Offset, entry.NameLength).SequenceEqual(name))
            {
                nameIndex = (int)(_nextId - id);
                break;
            }

            id = entry.NextName;
        }

        return 0;
    }

    private bool IsField(ref Entry entry, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int fieldHash) =>
        entry.FieldHash == fieldHash
        && _bytes.AsSpan(entry.Offset, entry.NameLength).SequenceEqual(name)
        && _bytes.AsSpan(entry.Offset + entry.NameLength, entry.ValueLength).SequenceEqual(value);

    // Every entry takes at least 32 octets, so maxSize / 32 entries at most; a power of two, so that a
    // slot is a mask, not a division.
    private static int EntryCapacity(int maxSize) => (int)BitOperations.RoundUpToPowerOf2((uint)(maxSize / EntryOverhead + 1));

    private ref Entry Slot(long id) => ref _entries[(int)id & Mask];

    private void Link(ref Entry entry, long id)
    {
        ref long fieldHead = ref _fieldBuckets[entry.FieldHash & (_fieldBuckets.Length - 1)];
        entry.NextField = fieldHead;
        fieldHead = id;
        ref long nameHead = ref _nameBuckets[entry.NameHash & (_nameBuckets.Length - 1)];
        entry.NextName = nameHead;
        nameHead = id;
    }

    private void RebuildIndexes()
    {
        if (!_indexed)
        {
            return;
        }

        // Twice as many buckets as entries can live, so chains stay about one entry long.
        _fieldBuckets = new long[2 * _entries.Length];
        _nameBuckets = new long[2 * _entries.Length];
        _fieldBuckets.AsSpan().Fill(NoEntry);
        _nameBuckets.AsSpan().Fill(NoEntry);
        for (long id = _nextId - _count; id < _nextId; id++)
        {
            Link(ref Slot(id), id);
        }
    }

    private void EvictOldest()
    {
        ref Entry oldest = ref Slot(_nextId - _count);
        Size -= oldest.NameLength + oldest.ValueLength + EntryOverhead;
        _count--;
        if (_count == 0)
        {
            _start = 0;
            _end = 0;
        }
        else
        {
            _start = Slot(_nextId - _count).Offset;
        }
    }

    // Moves the live bytes to the front of target (this table's array or a larger one) and rebases the offsets.
    private void MoveLiveBytes(byte[] target)
    {
        int shift = _start;
        _bytes.AsSpan(_start, _end - _start).CopyTo(target);
        for (long id = _nextId - _count; id < _nextId; id++)
        {
            Slot(id).Offset -= shift;
        }

        _start = 0;
        _end -= shift;
    }

    [StructLayout(LayoutKind.Auto)]
    private struct Entry
    {
        public int Offset;
        public int NameLength;
        public int ValueLength;
        public int NameHash;
        public int FieldHash;
        public long NextField;
        public long NextName;
    }
}
