namespace FastGate.Proxy.Observability;

/// <summary>Counters of one route, by name; they outlive reloads that keep the route's name.</summary>
public sealed class RouteState
{
    private readonly long[] _byStatusClass = new long[6];

    public RouteState(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public void Count(int status)
    {
        var statusClass = (uint)(status / 100);
        Interlocked.Increment(ref _byStatusClass[statusClass < 6 ? statusClass : 0]);
    }

    /// <summary>Requests answered with a status of class <paramref name="statusClass"/> (1..5).</summary>
    public long Requests(int statusClass) => Interlocked.Read(ref _byStatusClass[statusClass]);
}
