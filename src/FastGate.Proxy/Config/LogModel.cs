namespace FastGate.Proxy.Config;

public sealed record LogModel
{
    public LogLevel Level { get; init; } = LogLevel.Info;
    /// <summary>null: access log off; "stdout"; otherwise a file path.</summary>
    public string? Access { get; init; } = "stdout";
}
