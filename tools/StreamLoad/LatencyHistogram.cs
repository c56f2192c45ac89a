using System.Numerics;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// Round-trip times in nanoseconds, log-linear buckets: exact below 1,024 ns, then 512 buckets per
/// power of two (0.2 % resolution), up to about 18 minutes. Recording is one array increment, so
/// it costs nothing next to a socket call; one instance per connection, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 512;
    private const int Buckets = 32 * SubBuckets + 2 * SubBuckets;
    private readonly long[] _counts = new long[Buckets];

    public long Count { get; private set; }

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
        {
            nanoseconds = 0;
        }
        _counts[Math.Min(Index(nanoseconds), Buckets - 1)]++;
        Count++;
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < Buckets; i++)
        {
            _counts[i] += other._counts[i];
        }
        Count += other.Count;
    }

    /// <summary>The value at quantile Q (0..1), in nanoseconds: the upper edge of its bucket.</summary>
    public long Quantile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }
        var rank = (long)Math.Ceiling(q * Count);
        if (rank < 1)
        {
            rank = 1;
        }
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return UpperEdge(i);
            }
        }
        return UpperEdge(Buckets - 1);
    }

    private static int Index(long v)
    {
        if (v < 2 * SubBuckets)
        {
            return (int)v;
        }
        var shift = 63 - BitOperations.LeadingZeroCount((ulong)v) - 9;
        return shift * SubBuckets + (int)(v >> shift);
    }

    private static long UpperEdge(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return index;
        }
        var shift = index / SubBuckets - 1;
        return ((long)(index - shift * SubBuckets + 1) << shift) - 1;
    }
}
