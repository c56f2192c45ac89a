namespace FastGate.Proxy.Config;

public sealed record HealthCheckModel
{
    public string Path { get; init; } = "/healthz";
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);
}
