namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// A connection's open streams by id (under the connection's guard). Client stream ids are odd
/// and rise (RFC 9113 §5.1.1), so the streams open at once have nearly consecutive ids: slot
/// (id / 2) mod size puts them in consecutive slots, and a lookup is one slot read and one id
/// compare, with linear probing for the rare stream that outlived its slot's turn. Only the
/// stream references are kept (a stream knows its own id, fixed while it is in a table), so a
/// connection of 32 concurrent streams grows one array to 64 slots (about 1 KB over its life, a
/// connection of one stream 56 bytes), where a <see cref="Dictionary{TKey, TValue}"/> grew
/// buckets and 24-byte entries through four sizes (about 2 KB) besides its own object.
/// </summary>
internal sealed class Http2StreamTable
{
    private const int FirstSize = 4;

    private Http2Stream?[] _slots = [];
    private int _count;

    public int Count => _count;

    public bool TryGetValue(int id, out Http2Stream stream)
    {
        var slots = _slots;
        if (_count > 0)
        {
            var mask = slots.Length - 1;
            for (var i = Home(id, mask); slots[i] is { } candidate; i = (i + 1) & mask)
            {
                if (candidate.Id == id)
                {
                    stream = candidate;
                    return true;
                }
            }
        }
        stream = null!;
        return false;
    }

    /// <summary>Adds <paramref name="stream"/> under its <see cref="Http2Stream.Id"/>, which is not in the table (ids are never reused on a connection).</summary>
    public void Add(Http2Stream stream)
    {
        // At most three quarters full, so a probe always ends at an empty slot and stays short.
        if ((_count + 1) * 4 > _slots.Length * 3)
        {
            Grow();
        }
        Place(_slots, stream);
        _count++;
    }

    /// <summary>Removes the stream with <paramref name="id"/>; false when none has it.</summary>
    public bool Remove(int id)
    {
        var slots = _slots;
        if (_count == 0)
        {
            return false;
        }
        var mask = slots.Length - 1;
        var hole = Home(id, mask);
        while (true)
        {
            var candidate = slots[hole];
            if (candidate is null)
            {
                return false;
            }
            if (candidate.Id == id)
            {
                break;
            }
            hole = (hole + 1) & mask;
        }
        // Backward-shift deletion: every stream after the hole in its run that may live there
        // (its home is not cyclically in (hole, j]) moves into it, so no probe ever stops short.
        var j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            var next = slots[j];
            if (next is null)
            {
                break;
            }
            var home = Home(next.Id, mask);
            var staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!staysPut)
            {
                slots[hole] = next;
                hole = j;
            }
        }
        slots[hole] = null;
        _count--;
        return true;
    }

    /// <summary>Empties the table (the connection ends); its array stays for nobody, as the connection goes.</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        _count = 0;
    }

    /// <summary>The open streams, copied (to act on them outside the guard).</summary>
    public Http2Stream[] ToArray()
    {
        Http2Stream[] streams = _count == 0 ? [] : new Http2Stream[_count];
        CopyTo(ref streams);
        return streams;
    }

    /// <summary>
    /// The open streams copied into <paramref name="into"/>, grown when it is short, to act on them
    /// outside the guard without an array per call (a WINDOW_UPDATE of the connection wakes them all); how many.
    /// </summary>
    public int CopyTo(ref Http2Stream[] into)
    {
        if (into.Length < _count)
        {
            into = new Http2Stream[_slots.Length];
        }
        var n = 0;
        foreach (var stream in _slots)
        {
            if (stream is not null)
            {
                into[n++] = stream;
            }
        }
        return n;
    }

    /// <summary>The open streams in slot order; the table must not change meanwhile.</summary>
    public Enumerator GetEnumerator() => new(_slots);

    private static int Home(int id, int mask) => (id >> 1) & mask;

    private static void Place(Http2Stream?[] slots, Http2Stream stream)
    {
        var mask = slots.Length - 1;
        var i = Home(stream.Id, mask);
        while (slots[i] is not null)
        {
            i = (i + 1) & mask;
        }
        slots[i] = stream;
    }

    private void Grow()
    {
        var old = _slots;
        var grown = new Http2Stream?[old.Length == 0 ? FirstSize : old.Length * 2];
        foreach (var stream in old)
        {
            if (stream is not null)
            {
                Place(grown, stream);
            }
        }
        _slots = grown;
    }

    public struct Enumerator(Http2Stream?[] slots)
    {
        private int _index = -1;

        public readonly Http2Stream Current => slots[_index]!;

        public bool MoveNext()
        {
            while (++_index < slots.Length)
            {
                if (slots[_index] is not null)
                {
                    return true;
                }
            }
            return false;
        }
    }
}
