namespace FastGate.Ai.Metering;

/// <summary>
/// A fixed-bucket histogram of values (tokens, seconds), recorded with atomics and no allocation.
/// Histograms with the same bounds add up, so series can be rendered summed over a label.
/// </summary>
internal sealed class ValueHistogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private double _sum;

    public ValueHistogram(double[] bounds)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    public double[] Bounds => _bounds;

    public void Record(double value)
    {
        var i = 0;
        while (i < _bounds.Length && value > _bounds[i])
        {
            i++;
        }
        Interlocked.Increment(ref _counts[i]);
        var sum = Volatile.Read(ref _sum);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref _sum, sum + value, sum);
            if (seen.Equals(sum))
            {
                return;
            }
            sum = seen;
        }
    }

    public long Count
    {
        get
        {
            long count = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                count += Interlocked.Read(ref _counts[i]);
            }
            return count;
        }
    }

    /// <summary>Adds this histogram's per-bucket counts (not cumulative) and sum to <paramref name="total"/>.</summary>
    public void AddTo(HistogramTotal total)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            total.Counts[i] += Interlocked.Read(ref _counts[i]);
        }
        total.Sum += Volatile.Read(ref _sum);
    }
}
