namespace FastGate.Proxy.Hosting;

/// <summary>
/// The client addresses a thread saw lately, so that a new connection from one of them shares
/// its <see cref="ClientAddressInfo"/> instead of making the address's text, bytes and hash again
/// and keeping them for its whole life, idle or not: clients open many connections in turn, and
/// a balancer in front opens all of them. Per thread (each loop has its own), direct-mapped, a
/// fixed number of entries.
/// </summary>
internal static class ClientAddressCache
{
    private const int EntryBits = 6;

    [ThreadStatic]
    private static ClientAddressInfo?[]? t_entries;

    /// <summary>The address <paramref name="ip"/> (4 or 16 bytes, or empty when unknown) in every form a connection uses.</summary>
    public static ClientAddressInfo Get(ReadOnlySpan<byte> ip)
    {
        if (ip.Length is not (4 or 16))
        {
            return new ClientAddressInfo(HttpConnectionHandler.FormatAddress(ip), ip.ToArray());
        }
        var key = ClientConnectionCounts.Key.From(ip);
        var entries = t_entries ??= new ClientAddressInfo?[1 << EntryBits];
        ref var entry = ref entries[(int)(((key.High ^ key.Low) * 0x9E3779B97F4A7C15UL) >> (64 - EntryBits))];
        if (entry is null || !entry.Ip.AsSpan().SequenceEqual(ip))
        {
            entry = new ClientAddressInfo(HttpConnectionHandler.FormatAddress(ip), ip.ToArray());
        }
        return entry;
    }
}
