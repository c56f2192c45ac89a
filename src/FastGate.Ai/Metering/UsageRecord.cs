using FastGate.Ai.Providers;

namespace FastGate.Ai.Metering;

/// <summary>One exchange on an AI route, as the ledger keeps it and the metrics count it.</summary>
public readonly record struct UsageRecord
{
    /// <summary>When the exchange ended, Unix milliseconds.</summary>
    public long UnixMs { get; init; }
    public string RequestId { get; init; }
    /// <summary>
    /// The request id as the exchange holds it (ASCII), instead of <see cref="RequestId"/>, so an
    /// exchange makes no string for it; the ledger writes whichever is set. Valid only during
    /// <see cref="IUsageSink.Record"/>: a sink that keeps the record keeps <see cref="RequestId"/>.
    /// </summary>
    public ReadOnlyMemory<byte> RequestIdUtf8 { get; init; }
    /// <summary>The consumer's name; empty when anonymous.</summary>
    public string Consumer { get; init; }
    public string Route { get; init; }
    public ClientApi Api { get; init; }
    /// <summary>The provider and model of the last attempt; empty when none was reached (an unknown model).</summary>
    public string Provider { get; init; }
    public string ModelAsked { get; init; }
    public string ModelUsed { get; init; }
    public TokenUsage Usage { get; init; }
    public decimal CostUsd { get; init; }
    /// <summary>The status the client got (499 when it left).</summary>
    public int Status { get; init; }
    public bool Stream { get; init; }
    /// <summary>From the request to the first byte of the answer reaching the client; 0 when none did.</summary>
    public double TimeToFirstTokenMs { get; init; }
    public double DurationMs { get; init; }
    /// <summary>Upstream attempts made (1 without fallback).</summary>
    public int Attempts { get; init; }
}
