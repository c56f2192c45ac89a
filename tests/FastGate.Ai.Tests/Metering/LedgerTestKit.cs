using FastGate.Ai.Metering;
using FastGate.Ai.Providers;

namespace FastGate.Ai.Tests.Metering;

/// <summary>A temporary folder for ledger files, deleted on dispose, and records to put in them.</summary>
public sealed class LedgerTestKit : IDisposable
{
    public LedgerTestKit()
    {
        Folder = Path.Combine(Path.GetTempPath(), "fastgate-ledger-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string File(string name = "usage.ledger") => Path.Combine(Folder, name);

    public static UsageRecord Record(string requestId, long unixMs = 1_767_225_600_000, string consumer = "alice", string model = "gpt-4o-mini",
        string provider = "mockoai", string route = "llm", long input = 10, long output = 20, bool reported = true, decimal cost = 0.0001m, int status = 200) => new()
    {
        UnixMs = unixMs,
        RequestId = requestId,
        Consumer = consumer,
        Route = route,
        Api = ClientApi.OpenAiChat,
        Provider = provider,
        ModelAsked = model,
        ModelUsed = model + "-2024",
        Usage = new TokenUsage { Input = input, Output = output, CachedInput = input / 2, Reasoning = output / 4, Reported = reported },
        CostUsd = cost,
        Status = status,
        Stream = true,
        TimeToFirstTokenMs = 120.5,
        DurationMs = 900.25,
        Attempts = 1,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
