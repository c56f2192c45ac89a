namespace FastGate.Ai.Metering;

/// <summary>Where the AI stage reports what happened: the ledger and the metrics behind it.</summary>
public interface IUsageSink
{
    /// <summary>Exactly once per exchange on an AI route, when it ended.</summary>
    void Record(in UsageRecord record);

    /// <summary>An attempt failed (connect failure, 429, 5xx before the first byte) and the next target is tried.</summary>
    void Fallback(string route, string fromProvider, string toProvider, int status);

    /// <summary>A provider answered with an error or garbage, or could not be reached (status 0).</summary>
    void ProviderError(string provider, string model, int status);
}
