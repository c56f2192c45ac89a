using System.Text.Json;

namespace FastGate.Ai.Metering;

/// <summary>The sums of one <c>GET /usage</c> group (or of all of them).</summary>
public sealed class UsageTotals
{
    public long Requests { get; private set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }
    public long CachedInputTokens { get; private set; }
    public long ReasoningTokens { get; private set; }
    /// <summary>Records whose tokens the tokenizer counted because the provider reported none.</summary>
    public long EstimatedRequests { get; private set; }
    public decimal CostUsd { get; private set; }

    public void Add(in UsageRecord record)
    {
        var usage = record.Usage;
        Requests++;
        InputTokens += usage.Input;
        OutputTokens += usage.Output;
        CachedInputTokens += usage.CachedInput;
        ReasoningTokens += usage.Reasoning;
        if (!usage.Reported && (usage.Input != 0 || usage.Output != 0))
        {
            EstimatedRequests++;
        }
        CostUsd += record.CostUsd;
    }

    /// <summary>Writes the sums as properties of the object <paramref name="json"/> is in.</summary>
    public void WriteTo(Utf8JsonWriter json)
    {
        json.WriteNumber("requests", Requests);
        json.WriteNumber("input_tokens", InputTokens);
        json.WriteNumber("output_tokens", OutputTokens);
        json.WriteNumber("cached_input_tokens", CachedInputTokens);
        json.WriteNumber("reasoning_tokens", ReasoningTokens);
        json.WriteNumber("estimated_requests", EstimatedRequests);
        json.WriteNumber("cost_usd", CostUsd);
    }
}
