using System.Globalization;
using System.Text;

namespace FastGate.Ai.Metering;

/// <summary>Per-bucket counts and a sum, summed over histograms of the same bounds, rendered as one series.</summary>
internal sealed class HistogramTotal(double[] bounds)
{
    public double[] Bounds { get; } = bounds;
    public long[] Counts { get; } = new long[bounds.Length + 1];
    public double Sum { get; set; }

    /// <param name="labels">The series' labels without braces (<c>a="x",b="y"</c>).</param>
    public void WriteTo(StringBuilder text, string name, string labels)
    {
        long cumulative = 0;
        for (var i = 0; i < Bounds.Length; i++)
        {
            cumulative += Counts[i];
            text.Append(name).Append("_bucket{").Append(labels).Append(",le=\"").Append(Bounds[i].ToString("R", CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
        }
        cumulative += Counts[^1];
        text.Append(name).Append("_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(cumulative).Append('\n');
        text.Append(name).Append("_sum{").Append(labels).Append("} ").Append(Sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append(name).Append("_count{").Append(labels).Append("} ").Append(cumulative).Append('\n');
    }
}
