namespace FastGate.Proxy.Hosting;

/// <summary>
/// The text and the bytes of the client addresses a thread saw lately, so that a new connection
/// from one of them shares its two arrays instead of allocating two more that it keeps for its
/// whole life, idle or not (72 bytes for IPv4): clients open many connections in turn, and a
/// balancer in front opens all of them. Per thread (each loop has its own), direct-mapped, a
/// fixed number of entries. The arrays are never written once made, which is what lets
/// connections share them.
/// </summary>
internal static class ClientAddressCache
{
    private const int EntryBits = 6;

    [ThreadStatic]
    private static Entry[]? t_entries;

    /// <summary>The address <paramref name="ip"/> (4 or 16 bytes, or empty when unknown) as ASCII text and as bytes.</summary>
    public static void Get(ReadOnlySpan<byte> ip, out byte[] text, out byte[] bytes)
    {
        if (ip.Length is not (4 or 16))
        {
            text = HttpConnectionHandler.FormatAddress(ip);
            bytes = ip.ToArray();
            return;
        }
        var key = ClientConnectionCounts.Key.From(ip);
        var entries = t_entries ??= new Entry[1 << EntryBits];
        ref var entry = ref entries[(int)(((key.High ^ key.Low) * 0x9E3779B97F4A7C15UL) >> (64 - EntryBits))];
        if (entry.Bytes is null || entry.Key != key)
        {
            entry = new Entry(key, HttpConnectionHandler.FormatAddress(ip), ip.ToArray());
        }
        text = entry.Text;
        bytes = entry.Bytes;
    }

    private readonly record struct Entry(ClientConnectionCounts.Key Key, byte[] Text, byte[] Bytes);
}
