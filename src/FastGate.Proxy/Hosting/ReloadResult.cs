using FastGate.Proxy.Config;

namespace FastGate.Proxy.Hosting;

/// <summary>What a reload did: applied, or rejected with the errors (the old config keeps serving).</summary>
public sealed record ReloadResult(bool Success, long Generation, IReadOnlyList<ConfigError> Errors, DateTime Time)
{
    public string Describe() => Success
        ? $"reload applied: generation {Generation}"
        : "reload rejected, previous config still serving:\n" + string.Join("\n", Errors.Select(e => e.ToString()));
}
