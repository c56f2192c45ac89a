namespace FastGate.Proxy.Upstreams;

/// <summary>One active check's outcome, with what was seen, for the log ("status 503", "timed out after 1s").</summary>
public readonly record struct HealthCheckResult(bool Passed, string Detail)
{
    public static HealthCheckResult Pass(string detail) => new(true, detail);

    public static HealthCheckResult Fail(string detail) => new(false, detail);
}
