namespace FastGate.Proxy.Observability;

/// <summary>Requests one route refused for a limit; outlives reloads that keep the route's name.</summary>
public sealed class RateLimitRouteCounter(string name)
{
    private long _limited;

    public string Name { get; } = name;

    public long Limited => Interlocked.Read(ref _limited);

    public void Count() => Interlocked.Increment(ref _limited);
}
