namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// A hash that is the same in every process and on every machine (unlike <see cref="HashCode"/>),
/// so several FastGate instances map a client to the same endpoint: FNV-1a 64, then a
/// splitmix64 finaliser to spread FNV's weak low bits.
/// </summary>
public static class StableHash
{
    public static ulong Hash(ReadOnlySpan<byte> bytes, ulong seed = 0)
    {
        var hash = 14695981039346656037UL ^ seed;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return Mix(hash);
    }

    public static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }
}
