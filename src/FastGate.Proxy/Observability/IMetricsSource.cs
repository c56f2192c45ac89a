using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Series defined outside this assembly (the AI gateway's token and cost series) that /metrics
/// renders after the built-in ones. Rendering runs on the admin path and may allocate.
/// </summary>
public interface IMetricsSource
{
    /// <summary>Appends complete Prometheus text (HELP, TYPE and samples), each line ending in '\n'.</summary>
    void WriteTo(StringBuilder text);
}
