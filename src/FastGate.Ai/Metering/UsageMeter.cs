using FastGate.Proxy.Admin;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Ai.Metering;

/// <summary>
/// Where AI exchanges are counted: each record goes to the durable <see cref="UsageLedger"/> and
/// to the token, latency and cost series on /metrics; fallbacks and provider errors to counters.
/// One per process (one ledger file); <see cref="Configure"/> with each config snapshot.
/// <see cref="Record"/> runs on the connection's thread when an exchange ends: it encodes the
/// record and queues it (no disk wait) and bumps atomics on series looked up without allocating.
/// </summary>
public sealed class UsageMeter : IUsageSink, IDisposable
{
    private readonly GatewayMetrics _metrics;
    private readonly AiUsageMetrics _series = new();

    public UsageMeter(GatewayMetrics metrics, GatewayLog log)
    {
        _metrics = metrics;
        Ledger = new UsageLedger(log, new AiModel().LedgerFsyncInterval);
        _series.Ledger = Ledger;
        UsageEndpoint = new UsageEndpoint(Ledger);
        metrics.Sources.Add(_series);
    }

    public UsageLedger Ledger { get; }

    /// <summary><c>GET /usage</c>, for <see cref="AdminConnectionHandler.Add"/>.</summary>
    public IAdminEndpoint UsageEndpoint { get; }

    /// <summary>Applies <c>[ai]</c>: the fsync interval, and the ledger path (opened, or moved to: later records go to the new file).</summary>
    public void Configure(AiModel ai)
    {
        Ledger.FsyncInterval = ai.LedgerFsyncInterval;
        Ledger.Open(ai.LedgerPath);
    }

    public void Record(in UsageRecord record)
    {
        Ledger.Append(record);
        _series.Record(record);
    }

    public void Fallback(string route, string fromProvider, string toProvider, int status) => _series.Fallback(route, fromProvider, toProvider);

    public void ProviderError(string provider, string model, int status) => _series.ProviderError(provider, model, status);

    /// <summary>Writes and fsyncs the records still pending and closes the ledger; the series stay on /metrics no more.</summary>
    public void Dispose()
    {
        _metrics.Sources.Remove(_series);
        Ledger.Dispose();
    }
}
