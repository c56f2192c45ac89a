using System.Text;

namespace FastGate.Core.HPack;

/// <summary>
/// The static table of RFC 7541 Appendix A (indices 1 to 61). The encoder finds entries by a hash
/// of the lowercased name (an open-addressed table of 128 slots built once, no dictionary of
/// strings); entries that share a name are adjacent, so a name+value match scans a few of them.
/// </summary>
internal static class HPackStaticTable
{
    public const int Count = 61;

    private const int SlotMask = 127;

    // Index 0 is unused so that RFC indices need no adjustment.
    private static readonly byte[][] Names = Build(out Values);
    private static readonly byte[][] Values;

    // The first static index of each distinct name, at the slot its hash selects (linear probing); 0 = empty.
    private static readonly byte[] Slots = BuildSlots();

    public static ReadOnlySpan<byte> Name(int index) => Names[index];

    public static ReadOnlySpan<byte> Value(int index) => Values[index];

    /// <summary>The first index whose name is <paramref name="lowerName"/>, or 0.</summary>
    public static int FindName(ReadOnlySpan<byte> lowerName, int nameHash)
    {
        for (int slot = nameHash & SlotMask; ; slot = (slot + 1) & SlotMask)
        {
            int index = Slots[slot];
            if (index == 0)
            {
                return 0;
            }

            if (lowerName.SequenceEqual(Names[index]))
            {
                return index;
            }
        }
    }

    /// <summary>The index of the entry with <paramref name="nameIndex"/>'s name and <paramref name="value"/>, or 0.</summary>
    public static int FindField(int nameIndex, ReadOnlySpan<byte> value)
    {
        byte[] name = Names[nameIndex];
        for (int index = nameIndex; index <= Count && ReferenceEquals(Names[index], name); index++)
        {
            if (value.SequenceEqual(Values[index]))
            {
                return index;
            }
        }

        return 0;
    }

    /// <summary>FNV-1a over the name's bytes, lowercased: the encoder's one hash for static and dynamic lookups.</summary>
    public static int HashName(ReadOnlySpan<byte> lowerName)
    {
        uint hash = 2166136261;
        foreach (byte b in lowerName)
        {
            hash = (hash ^ b) * 16777619;
        }

        return (int)hash;
    }

    private static byte[][] Build(out byte[][] values)
    {
        string[] fields =
        [
            ":authority", "",
            ":method", "GET",
            ":method", "POST",
            ":path", "/",
            ":path", "/index.html",
            ":scheme", "http",
            ":scheme", "https",
            ":status", "200",
            ":status", "204",
            ":status", "206",
            ":status", "304",
            ":status", "400",
            ":status", "404",
            ":status", "500",
            "accept-charset", "",
            "accept-encoding", "gzip, deflate",
            "accept-language", "",
            "accept-ranges", "",
            "accept", "",
            "access-control-allow-origin", "",
            "age", "",
            "allow", "",
            "authorization", "",
            "cache-control", "",
            "content-disposition", "",
            "content-encoding", "",
            "content-language", "",
            "content-length", "",
            "content-location", "",
            "content-range", "",
            "content-type", "",
            "cookie", "",
            "date", "",
            "etag", "",
            "expect", "",
            "expires", "",
            "from", "",
            "host", "",
            "if-match", "",
            "if-modified-since", "",
            "if-none-match", "",
            "if-range", "",
            "if-unmodified-since", "",
            "last-modified", "",
            "link", "",
            "location", "",
            "max-forwards", "",
            "proxy-authenticate", "",
            "proxy-authorization", "",
            "range", "",
            "referer", "",
            "refresh", "",
            "retry-after", "",
            "server", "",
            "set-cookie", "",
            "strict-transport-security", "",
            "transfer-encoding", "",
            "user-agent", "",
            "vary", "",
            "via", "",
            "www-authenticate", "",
        ];

        var names = new byte[Count + 1][];
        values = new byte[Count + 1][];
        names[0] = [];
        values[0] = [];
        for (int i = 1; i <= Count; i++)
        {
            string name = fields[(i - 1) * 2];
            // Entries sharing a name share one array, which FindField uses to stay within the run.
            names[i] = i > 1 && Encoding.ASCII.GetString(names[i - 1]) == name ? names[i - 1] : Encoding.ASCII.GetBytes(name);
            values[i] = Encoding.ASCII.GetBytes(fields[(i - 1) * 2 + 1]);
        }

        return names;
    }

    private static byte[] BuildSlots()
    {
        var slots = new byte[SlotMask + 1];
        for (int i = 1; i <= Count; i++)
        {
            if (i > 1 && ReferenceEquals(Names[i], Names[i - 1]))
            {
                continue;
            }

            int slot = HashName(Names[i]) & SlotMask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & SlotMask;
            }

            slots[slot] = (byte)i;
        }

        return slots;
    }
}
