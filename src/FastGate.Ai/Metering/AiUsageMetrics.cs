using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using FastGate.Proxy.Observability;

namespace FastGate.Ai.Metering;

/// <summary>
/// The AI gateway's series on /metrics, named after the OpenTelemetry GenAI semantic conventions
/// where they have a name (<c>gen_ai_client_token_usage</c>, <c>gen_ai_server_time_to_first_token_seconds</c>,
/// <c>gen_ai_server_time_per_output_token_seconds</c>, <c>gen_ai_client_operation_duration_seconds</c>)
/// and <c>fastgate_ai_*</c> for the rest. Label values come from the config (routes, consumers,
/// providers, [[model]] names) and from what clients ask for; past <see cref="MaxSeries"/>
/// combinations new ones are counted under <see cref="Overflow"/> so a client sending made-up
/// model names to a <c>*</c> pattern cannot grow the metrics without bound.
/// </summary>
internal sealed class AiUsageMetrics : IMetricsSource
{
    public const int MaxSeries = 10_000;
    public const string Overflow = "_other";

    private static readonly AiTokenType[] TokenTypes = Enum.GetValues<AiTokenType>();

    private readonly ConcurrentDictionary<AiSeriesKey, AiExchangeSeries> _series = new();
    private readonly ConcurrentDictionary<(string Route, string From, string To), AiCounter> _fallbacks = new();
    private readonly ConcurrentDictionary<(string Provider, string Model, int Status), AiCounter> _providerErrors = new();
    private int _seriesCount;
    private int _otherCount;

    /// <summary>Where the ledger's counters come from, when there is a ledger.</summary>
    public UsageLedger? Ledger { get; set; }

    public void Record(in UsageRecord record)
    {
        var key = new AiSeriesKey(record.Route ?? "", record.Consumer ?? "", record.Provider ?? "", record.ModelAsked ?? "", record.ModelUsed ?? "");
        if (!_series.TryGetValue(key, out var series))
        {
            series = Add(key);
        }
        series.Record(record);
    }

    public void Fallback(string route, string fromProvider, string toProvider)
    {
        var key = (route, fromProvider, toProvider);
        if (!_fallbacks.TryGetValue(key, out var counter))
        {
            counter = Bounded(_fallbacks, key, (route, Overflow, Overflow));
        }
        counter.Add(1);
    }

    public void ProviderError(string provider, string model, int status)
    {
        var key = (provider, model, status);
        if (!_providerErrors.TryGetValue(key, out var counter))
        {
            counter = Bounded(_providerErrors, key, (provider, Overflow, status));
        }
        counter.Add(1);
    }

    private AiExchangeSeries Add(AiSeriesKey key)
    {
        if (Volatile.Read(ref _seriesCount) >= MaxSeries)
        {
            key = new AiSeriesKey(key.Route, Overflow, key.Provider, Overflow, Overflow);
        }
        var added = false;
        var series = _series.GetOrAdd(key, k =>
        {
            added = true;
            return new AiExchangeSeries(k);
        });
        if (added)
        {
            Interlocked.Increment(ref _seriesCount);
        }
        return series;
    }

    private AiCounter Bounded<TKey>(ConcurrentDictionary<TKey, AiCounter> counters, TKey key, TKey overflow) where TKey : notnull
    {
        if (Interlocked.Increment(ref _otherCount) > MaxSeries)
        {
            Interlocked.Decrement(ref _otherCount);
            key = overflow;
        }
        return counters.GetOrAdd(key, static _ => new AiCounter());
    }

    public void WriteTo(StringBuilder text)
    {
        var all = _series.Values.OrderBy(s => s.Key.Route, StringComparer.Ordinal)
            .ThenBy(s => s.Key.RequestModel, StringComparer.Ordinal)
            .ThenBy(s => s.Key.Provider, StringComparer.Ordinal)
            .ThenBy(s => s.Key.Consumer, StringComparer.Ordinal)
            .ThenBy(s => s.Key.ResponseModel, StringComparer.Ordinal)
            .ToList();

        Header(text, "gen_ai_client_token_usage", "Tokens per AI exchange, by type (input counts cached input, output counts reasoning), as the provider reported them or the tokenizer estimated them.", "histogram");
        foreach (var series in all)
        {
            if (series.InputTokens.Count == 0)
            {
                continue;
            }
            var k = series.Key;
            var labels = Labels(("gen_ai_request_model", k.RequestModel), ("gen_ai_response_model", k.ResponseModel), ("gen_ai_provider_name", k.Provider), ("route", k.Route), ("consumer", k.Consumer));
            WriteHistogram(text, "gen_ai_client_token_usage", "gen_ai_token_type=\"input\"," + labels, series.InputTokens);
            WriteHistogram(text, "gen_ai_client_token_usage", "gen_ai_token_type=\"output\"," + labels, series.OutputTokens);
        }

        // Summed over the response model: model is the name the client asked for, as in the ledger's sums and prices.
        var byAsked = all.GroupBy(s => (s.Key.RequestModel, s.Key.Provider, s.Key.Route, s.Key.Consumer)).ToList();
        Header(text, "fastgate_ai_tokens_total", "Tokens of AI exchanges by type (input, output, cached_input, reasoning); estimated=\"true\" when the provider reported none and the tokenizer counted them.", "counter");
        foreach (var group in byAsked)
        {
            var labels = Labels(("model", group.Key.RequestModel), ("provider", group.Key.Provider), ("route", group.Key.Route), ("consumer", group.Key.Consumer));
            foreach (var type in TokenTypes)
            {
                foreach (var estimated in (ReadOnlySpan<bool>)[false, true])
                {
                    var count = group.Sum(s => s.Tokens(type, estimated));
                    if (count != 0)
                    {
                        text.Append("fastgate_ai_tokens_total{type=\"").Append(TypeName(type)).Append("\",").Append(labels)
                            .Append(",estimated=\"").Append(estimated ? "true" : "false").Append("\"} ").Append(count).Append('\n');
                    }
                }
            }
        }

        var byModel = all.GroupBy(s => (s.Key.RequestModel, s.Key.Provider, s.Key.Route)).ToList();
        WriteSummed(text, byModel, "gen_ai_server_time_to_first_token_seconds", "From the request to the first byte of the answer reaching the client.", AiExchangeSeries.FirstTokenBounds, s => s.TimeToFirstToken);
        WriteSummed(text, byModel, "gen_ai_server_time_per_output_token_seconds", "Streams: time between output tokens after the first ((duration - time to first token) / (output tokens - 1)).", AiExchangeSeries.PerTokenBounds, s => s.TimePerOutputToken);
        WriteSummed(text, byModel, "gen_ai_client_operation_duration_seconds", "From the request to the end of the answer, fallbacks included.", AiExchangeSeries.DurationBounds, s => s.Duration);

        Header(text, "fastgate_ai_requests_total", "AI exchanges by route, model asked, provider of the last attempt and the status the client got (499: it left).", "counter");
        foreach (var group in all.GroupBy(s => (s.Key.Route, s.Key.RequestModel, s.Key.Provider)))
        {
            var labels = Labels(("route", group.Key.Route), ("model", group.Key.RequestModel), ("provider", group.Key.Provider));
            foreach (var status in group.SelectMany(s => s.Requests).GroupBy(r => r.Key).OrderBy(r => r.Key))
            {
                text.Append("fastgate_ai_requests_total{").Append(labels).Append(",status=\"").Append(status.Key).Append("\"} ").Append(status.Sum(r => r.Value.Value)).Append('\n');
            }
        }

        Header(text, "fastgate_ai_provider_errors_total", "Provider answers that were errors or garbage, by provider, model and status (0: not reached).", "counter");
        foreach (var (key, counter) in _providerErrors.OrderBy(e => e.Key.Provider, StringComparer.Ordinal).ThenBy(e => e.Key.Model, StringComparer.Ordinal).ThenBy(e => e.Key.Status))
        {
            text.Append("fastgate_ai_provider_errors_total{").Append(Labels(("provider", key.Provider), ("model", key.Model))).Append(",status=\"").Append(key.Status).Append("\"} ").Append(counter.Value).Append('\n');
        }

        Header(text, "fastgate_ai_fallbacks_total", "Attempts that failed before the first byte reached the client and moved on to the next target, by route and provider from and to.", "counter");
        foreach (var (key, counter) in _fallbacks.OrderBy(e => e.Key.Route, StringComparer.Ordinal).ThenBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
        {
            text.Append("fastgate_ai_fallbacks_total{").Append(Labels(("route", key.Route), ("from", key.From), ("to", key.To))).Append("} ").Append(counter.Value).Append('\n');
        }

        Header(text, "fastgate_ai_cost_usd_total", "Cost of AI exchanges in USD from the [[model]] price table, by model asked and consumer.", "counter");
        foreach (var group in all.GroupBy(s => (s.Key.RequestModel, s.Key.Consumer)))
        {
            var cost = group.Sum(s => s.CostUsd);
            if (cost != 0)
            {
                text.Append("fastgate_ai_cost_usd_total{").Append(Labels(("model", group.Key.RequestModel), ("consumer", group.Key.Consumer))).Append("} ")
                    .Append(((double)cost).ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        if (Ledger is { } ledger)
        {
            Header(text, "fastgate_ai_ledger_records_total", "Usage records appended to the ledger (state=appended) and fsynced (state=durable) since start.", "counter");
            text.Append("fastgate_ai_ledger_records_total{state=\"appended\"} ").Append(ledger.Appended).Append('\n');
            text.Append("fastgate_ai_ledger_records_total{state=\"durable\"} ").Append(ledger.Durable).Append('\n');
            Header(text, "fastgate_ai_ledger_dropped_total", "Usage records dropped because the ledger file could not be written for so long that the pending batch filled up (64 MiB).", "counter");
            text.Append("fastgate_ai_ledger_dropped_total ").Append(ledger.Dropped).Append('\n');
        }
    }

    private static void WriteSummed(StringBuilder text, List<IGrouping<(string RequestModel, string Provider, string Route), AiExchangeSeries>> groups,
        string name, string help, double[] bounds, Func<AiExchangeSeries, ValueHistogram> histogram)
    {
        Header(text, name, help, "histogram");
        foreach (var group in groups)
        {
            var total = new HistogramTotal(bounds);
            foreach (var series in group)
            {
                histogram(series).AddTo(total);
            }
            if (total.Counts.Sum() != 0)
            {
                total.WriteTo(text, name, Labels(("gen_ai_request_model", group.Key.RequestModel), ("gen_ai_provider_name", group.Key.Provider), ("route", group.Key.Route)));
            }
        }
    }

    private static void WriteHistogram(StringBuilder text, string name, string labels, ValueHistogram histogram)
    {
        var total = new HistogramTotal(histogram.Bounds);
        histogram.AddTo(total);
        total.WriteTo(text, name, labels);
    }

    private static string TypeName(AiTokenType type) => type switch
    {
        AiTokenType.Input => "input",
        AiTokenType.Output => "output",
        AiTokenType.CachedInput => "cached_input",
        _ => "reasoning",
    };

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static string Labels(params ReadOnlySpan<(string Name, string Value)> labels)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in labels)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(name).Append("=\"").Append(Escape(value)).Append('"');
        }
        return text.ToString();
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
