using System.Collections.Concurrent;

namespace FastGate.Ai.Metering;

/// <summary>
/// The counters of every exchange with one <see cref="AiSeriesKey"/>: token histograms and
/// counters, cost, latencies and requests by status. The metrics with fewer labels are these
/// summed at render time, so recording an exchange is one dictionary lookup and a few atomics.
/// </summary>
internal sealed class AiExchangeSeries(AiSeriesKey key)
{
    // The OpenTelemetry GenAI semantic conventions' advised buckets; time per output token and
    // the duration get finer and longer ends for local models and long generations.
    internal static readonly double[] TokenBounds = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    internal static readonly double[] FirstTokenBounds = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
    internal static readonly double[] PerTokenBounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];
    internal static readonly double[] DurationBounds = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68];

    /// <summary>Costs are summed in nano-dollars: atomic, and exact for any price in USD per million tokens with 3 decimals.</summary>
    private const decimal NanoDollars = 1_000_000_000m;

    private readonly long[] _tokens = new long[4 * 2];
    private readonly ConcurrentDictionary<int, AiCounter> _requests = new();
    private long _costNanoUsd;

    public AiSeriesKey Key { get; } = key;
    public ValueHistogram InputTokens { get; } = new(TokenBounds);
    public ValueHistogram OutputTokens { get; } = new(TokenBounds);
    public ValueHistogram TimeToFirstToken { get; } = new(FirstTokenBounds);
    public ValueHistogram TimePerOutputToken { get; } = new(PerTokenBounds);
    public ValueHistogram Duration { get; } = new(DurationBounds);

    public void Record(in UsageRecord record)
    {
        var usage = record.Usage;
        if (usage.Input != 0 || usage.Output != 0)
        {
            InputTokens.Record(usage.Input);
            OutputTokens.Record(usage.Output);
            var estimated = usage.Reported ? 0 : 1;
            AddTokens(AiTokenType.Input, estimated, usage.Input);
            AddTokens(AiTokenType.Output, estimated, usage.Output);
            AddTokens(AiTokenType.CachedInput, estimated, usage.CachedInput);
            AddTokens(AiTokenType.Reasoning, estimated, usage.Reasoning);
        }
        if (record.CostUsd != 0)
        {
            Interlocked.Add(ref _costNanoUsd, (long)decimal.Round(record.CostUsd * NanoDollars));
        }
        if (record.TimeToFirstTokenMs > 0)
        {
            TimeToFirstToken.Record(record.TimeToFirstTokenMs / 1000);
            // After the first token, the rest came at this pace (OpenTelemetry's time_per_output_token).
            if (record.Stream && usage.Output > 1 && record.DurationMs > record.TimeToFirstTokenMs)
            {
                TimePerOutputToken.Record((record.DurationMs - record.TimeToFirstTokenMs) / 1000 / (usage.Output - 1));
            }
        }
        Duration.Record(record.DurationMs / 1000);
        if (!_requests.TryGetValue(record.Status, out var requests))
        {
            requests = _requests.GetOrAdd(record.Status, static _ => new AiCounter());
        }
        requests.Add(1);
    }

    private void AddTokens(AiTokenType type, int estimated, long count)
    {
        if (count != 0)
        {
            Interlocked.Add(ref _tokens[(int)type * 2 + estimated], count);
        }
    }

    public long Tokens(AiTokenType type, bool estimated) => Interlocked.Read(ref _tokens[(int)type * 2 + (estimated ? 1 : 0)]);

    public decimal CostUsd => Interlocked.Read(ref _costNanoUsd) / NanoDollars;

    public IEnumerable<KeyValuePair<int, AiCounter>> Requests => _requests;
}
