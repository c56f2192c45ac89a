using System.Runtime.InteropServices;

namespace FastGate.Core.HPack;

/// <summary>
/// The dynamic table of one HPACK context (RFC 7541 §2.3.2, §4). Entries' name and value bytes
/// lie back to back in one byte array, oldest first, between <c>_start</c> and <c>_end</c>; the
/// entries themselves are a ring of (offset, lengths, hashes) over a second array. Adding appends at
/// <c>_end</c>; evicting only moves <c>_start</c>. When the append would run past the array, the live
/// bytes are moved to its front: the array holds twice the table's maximum size, so that move happens
/// at most once per maximum size of bytes added and costs no more than copying what was added. Nothing
/// is allocated per entry; the arrays are reallocated only when the maximum size grows.
/// </summary>
internal sealed class HPackDynamicTable
{
    /// <summary>RFC 7541 §4.1: every entry counts 32 octets on top of its name and value.</summary>
    public const int EntryOverhead = 32;

    private byte[] _bytes;
    private Entry[] _entries;
    private int _first;
    private int _count;
    private int _start;
    private int _end;

    public HPackDynamicTable(int maxSize)
    {
        MaxSize = maxSize;
        _bytes = new byte[2 * maxSize];
        _entries = new Entry[maxSize / EntryOverhead + 1];
    }

    /// <summary>The table's maximum size now, as the last size update (or the initial setting) set it.</summary>
    public int MaxSize { get; private set; }

    /// <summary>The sum of the entries' sizes (name + value + 32 each).</summary>
    public int Size { get; private set; }

    public int Count => _count;

    /// <summary>The name of entry <paramref name="index"/>, 1 being the newest.</summary>
    public ReadOnlySpan<byte> Name(int index)
    {
        ref Entry entry = ref EntryAt(index);
        return _bytes.AsSpan(entry.Offset, entry.NameLength);
    }

    /// <summary>The value of entry <paramref name="index"/>, 1 being the newest.</summary>
    public ReadOnlySpan<byte> Value(int index)
    {
        ref Entry entry = ref EntryAt(index);
        return _bytes.AsSpan(entry.Offset + entry.NameLength, entry.ValueLength);
    }

    /// <summary>A size update (or the encoder's own limit changed): evicts down to <paramref name="maxSize"/>.</summary>
    public void SetMaxSize(int maxSize)
    {
        while (Size > maxSize)
        {
            EvictOldest();
        }

        if (maxSize / EntryOverhead + 1 > _entries.Length)
        {
            var entries = new Entry[maxSize / EntryOverhead + 1];
            for (int i = 0; i < _count; i++)
            {
                entries[i] = _entries[(_first + i) % _entries.Length];
            }

            _entries = entries;
            _first = 0;
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
            Clear();
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
        _entries[(_first + _count) % _entries.Length] = new Entry
        {
            Offset = _end,
            NameLength = name.Length,
            ValueLength = value.Length,
            NameHash = nameHash,
            FieldHash = fieldHash,
        };
        _count++;
        _end += length;
        Size += size;
    }

    /// <summary>
    /// The encoder's lookup: the newest entry with this name and value (when <paramref name="matchValue"/>),
    /// else 0, and in <paramref name="nameIndex"/> the newest entry with this name, else 0. A linear scan
    /// over stored hashes: a 4 KiB table holds at most 128 entries, usually a few dozen.
    /// </summary>
    public int Find(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int nameHash, int fieldHash, bool matchValue, out int nameIndex)
    {
        nameIndex = 0;
        Entry[] entries = _entries;
        for (int index = 1; index <= _count; index++)
        {
            ref Entry entry = ref entries[(_first + _count - index) % entries.Length];
            if (entry.NameHash != nameHash || !_bytes.AsSpan(entry.Offset, entry.NameLength).SequenceEqual(name))
            {
                continue;
            }

            if (matchValue && entry.FieldHash == fieldHash
                && _bytes.AsSpan(entry.Offset + entry.NameLength, entry.ValueLength).SequenceEqual(value))
            {
                nameIndex = index;
                return index;
            }

            if (nameIndex == 0)
            {
                nameIndex = index;
                if (!matchValue)
                {
                    return 0;
                }
            }
        }

        return 0;
    }

    private ref Entry EntryAt(int index) => ref _entries[(_first + _count - index) % _entries.Length];

    private void EvictOldest()
    {
        ref Entry oldest = ref _entries[_first];
        Size -= oldest.NameLength + oldest.ValueLength + EntryOverhead;
        _first = (_first + 1) % _entries.Length;
        _count--;
        if (_count == 0)
        {
            _start = 0;
            _end = 0;
        }
        else
        {
            _start = _entries[_first].Offset;
        }
    }

    private void Clear()
    {
        _first = 0;
        _count = 0;
        _start = 0;
        _end = 0;
        Size = 0;
    }

    // Moves the live bytes to the front of target (this table's array or a larger one) and rebases the offsets.
    private void MoveLiveBytes(byte[] target)
    {
        int shift = _start;
        _bytes.AsSpan(_start, _end - _start).CopyTo(target);
        for (int i = 0; i < _count; i++)
        {
            _entries[(_first + i) % _entries.Length].Offset -= shift;
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
    }
}
