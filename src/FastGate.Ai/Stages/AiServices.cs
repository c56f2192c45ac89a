using FastGate.Ai.Metering;
using FastGate.Ai.Models;
using FastGate.Ai.Providers;
using FastGate.Proxy.Config;
using FastGate.Proxy.Stages;

namespace FastGate.Ai.Stages;

/// <summary>
/// What the AI stages of every snapshot share, owned by the executable for the process's life:
/// where usage goes, the tokenizer for estimates, the translators, and the count of streams read
/// on after their client left (bounded by <c>max_drains</c> across reloads).
/// </summary>
public sealed class AiServices(IUsageSink usage, ITokenEstimator estimator, AiCodecs? codecs = null)
{
    private readonly Lock _lock = new();
    private ConfigModel? _tableConfig;
    private ModelTable? _table;
    private int _drains;

    public IUsageSink Usage { get; } = usage;
    public ITokenEstimator Estimator { get; } = estimator;
    public AiCodecs Codecs { get; } = codecs ?? AiCodecs.Default;

    /// <summary>Strings of the model names clients ask for, shared by every snapshot's stages.</summary>
    internal ModelNameCache AskedNames { get; } = new();

    /// <summary>Streams being read on for their usage now.</summary>
    public int Drains => Volatile.Read(ref _drains);

    /// <summary>
    /// The AI stage of an <c>ai = true</c> route, null for any other route. Every ai route of one
    /// snapshot shares one model table.
    /// </summary>
    public Stage? StageFor(RouteModel route, ConfigModel config) => route.Ai ? new AiStage(this, TableFor(config), config.Ai, route) : null;

    /// <summary>Hooks the AI stage into the gateway's stage building.</summary>
    public void Register(StageServices stages) => stages.RouteStage = StageFor;

    private ModelTable TableFor(ConfigModel config)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_tableConfig, config))
            {
                _table = new ModelTable(config, Codecs);
                _tableConfig = config;
            }
            return _table!;
        }
    }

    internal bool TryStartDrain(int max)
    {
        if (Interlocked.Increment(ref _drains) <= max)
        {
            return true;
        }
        Interlocked.Decrement(ref _drains);
        return false;
    }

    internal void EndDrain() => Interlocked.Decrement(ref _drains);
}
