using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>A fixed-bucket histogram of durations, recorded with atomics and no allocation.</summary>
public sealed class LatencyHistogram
{
    // Seconds; chosen to resolve both loopback (sub-millisecond) and slow model upstreams.
    private static readonly double[] Bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly long[] BoundTicks = Array.ConvertAll(Bounds, b => (long)(b * Stopwatch.Frequency));

    private readonly long[] _counts = new long[Bounds.Length + 1];
    private long _sumTicks;

    public void Record(long elapsedTicks)
    {
        var i = 0;
        while (i < BoundTicks.Length && elapsedTicks > BoundTicks[i])
        {
            i++;
        }
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumTicks, elapsedTicks);
    }

    public void WriteTo(StringBuilder text, string name, string labels)
    {
        var prefix = labels.Length == 0 ? "{" : "{" + labels + ",";
        long cumulative = 0;
        for (var i = 0; i < Bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            text.Append(name).Append("_bucket").Append(prefix).Append("le=\"").Append(Bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
        }
        cumulative += Interlocked.Read(ref _counts[^1]);
        text.Append(name).Append("_bucket").Append(prefix).Append("le=\"+Inf\"} ").Append(cumulative).Append('\n');
        var sum = (double)Interlocked.Read(ref _sumTicks) / Stopwatch.Frequency;
        var braces = labels.Length == 0 ? "" : "{" + labels + "}";
        text.Append(name).Append("_sum").Append(braces).Append(' ').Append(sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append(name).Append("_count").Append(braces).Append(' ').Append(cumulative).Append('\n');
    }
}
