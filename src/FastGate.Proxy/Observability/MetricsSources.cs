using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>
/// The <see cref="IMetricsSource"/>s registered with a <see cref="GatewayMetrics"/>: an immutable
/// array swapped on change, so rendering reads it without a lock while a source is added or removed.
/// </summary>
public sealed class MetricsSources
{
    private IMetricsSource[] _sources = [];

    public void Add(IMetricsSource source)
    {
        while (true)
        {
            var current = Volatile.Read(ref _sources);
            if (Array.IndexOf(current, source) >= 0 || Interlocked.CompareExchange(ref _sources, [.. current, source], current) == current)
            {
                return;
            }
        }
    }

    public void Remove(IMetricsSource source)
    {
        while (true)
        {
            var current = Volatile.Read(ref _sources);
            if (Array.IndexOf(current, source) < 0 || Interlocked.CompareExchange(ref _sources, Array.FindAll(current, s => s != source), current) == current)
            {
                return;
            }
        }
    }

    public void WriteTo(StringBuilder text)
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            source.WriteTo(text);
        }
    }
}
