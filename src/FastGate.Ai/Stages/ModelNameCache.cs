using System.Text;

namespace FastGate.Ai.Stages;

/// <summary>
/// The strings of model names clients ask for, so that metering an exchange whose name matched a
/// pattern (<c>*</c>, <c>gpt-*</c>) makes no string per request: the usage record and the metric
/// series take the name as a string, and most traffic asks for a handful of names. A few slots
/// chosen by hash, each holding its last name (a miss replaces it); lock-free, as every slot is
/// one immutable entry read and written whole. Names longer than <see cref="MaxCachedBytes"/> are
/// not kept.
/// </summary>
internal sealed class ModelNameCache
{
    private const int Slots = 64;
    private const int MaxCachedBytes = 256;

    private readonly Entry?[] _entries = new Entry?[Slots];

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return "";
        }
        if (utf8.Length > MaxCachedBytes)
        {
            return Encoding.UTF8.GetString(utf8);
        }
        var slot = Slot(utf8);
        var entry = Volatile.Read(ref _entries[slot]);
        if (entry is not null && utf8.SequenceEqual(entry.Utf8))
        {
            return entry.Name;
        }
        entry = new Entry(utf8.ToArray(), Encoding.UTF8.GetString(utf8));
        Volatile.Write(ref _entries[slot], entry);
        return entry.Name;
    }

    /// <summary>FNV-1a over the bytes: names are short, and a collision only costs a string.</summary>
    private static int Slot(ReadOnlySpan<byte> utf8)
    {
        var hash = 2166136261u;
        foreach (var b in utf8)
        {
            hash = (hash ^ b) * 16777619u;
        }
        return (int)(hash % Slots);
    }

    private sealed class Entry(byte[] utf8, string name)
    {
        public readonly byte[] Utf8 = utf8;
        public readonly string Name = name;
    }
}
