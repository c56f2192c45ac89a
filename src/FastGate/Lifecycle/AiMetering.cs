using FastGate.Ai.Metering;
using FastGate.Proxy.Admin;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Lifecycle;

/// <summary>
/// How the daemon meters AI exchanges: the usage sink it makes once per process from the
/// gateway's metrics and log (the ledger and the GenAI series), the tokenizer for providers that
/// report no usage, and what each new config tells the sink (<c>[ai]</c>: the ledger's file and
/// fsync interval), and what it serves on the admin listener (GET /usage). The sink is disposed (flushed, fsynced) after the drain on shutdown.
/// </summary>
public sealed record AiMetering(
    Func<GatewayMetrics, GatewayLog, IUsageSink> CreateSink,
    Func<ITokenEstimator> CreateEstimator,
    Action<IUsageSink, AiModel>? Configure = null,
    Action<IUsageSink, AdminConnectionHandler>? AttachAdmin = null)
{
    /// <summary>Counts nothing: for a build without the meter. Every record is dropped.</summary>
    public static AiMetering None { get; } = new((_, _) => new DiscardedUsage(), () => new NoEstimate());

    private sealed class DiscardedUsage : IUsageSink
    {
        public void Record(in UsageRecord record)
        {
        }

        public void Fallback(string route, string fromProvider, string toProvider, int status)
        {
        }

        public void ProviderError(string provider, string model, int status)
        {
        }
    }

    private sealed class NoEstimate : ITokenEstimator
    {
        public long CountPrompt(ReadOnlySpan<byte> pivotRequest, string model) => 0;

        public long CountText(ReadOnlySpan<byte> utf8Text, string model) => 0;
    }
}
