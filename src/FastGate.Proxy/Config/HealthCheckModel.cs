namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[cluster.NAME.health]</c>: active checks, run off the request path.</summary>
public sealed record HealthCheckModel
{
    /// <summary>The path an HTTP check requests; null makes the check a TCP connect.</summary>
    public string? Path { get; init; }
    /// <summary>The Host header of an HTTP check; null sends the endpoint's address.</summary>
    public string? Host { get; init; }
    /// <summary>Statuses that pass, as inclusive ranges; 200–399 by default.</summary>
    public IReadOnlyList<StatusRange> ExpectedStatuses { get; init; } = [new StatusRange(200, 399)];
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Up to this much is added at random to each interval, so endpoints are not checked in step.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Consecutive passes that make an unhealthy endpoint healthy again.</summary>
    public int HealthyThreshold { get; init; } = 2;
    /// <summary>Consecutive failures that make a healthy endpoint unhealthy.</summary>
    public int UnhealthyThreshold { get; init; } = 3;
    /// <summary>The cluster's <c>proxy_protocol</c>: an HTTP check starts with a LOCAL header, as its upstream requires one.</summary>
    public FastGate.Core.ProxyProtocol.ProxyVersion? ProxyProtocol { get; init; }

    public bool Passes(int status)
    {
        foreach (var range in ExpectedStatuses)
        {
            if (status >= range.From && status <= range.To)
            {
                return true;
            }
        }
        return false;
    }
}
