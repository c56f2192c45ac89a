namespace FastGate.Proxy.Observability;

/// <summary>Requests answered, by status class, for one named thing (a route, a consumer); they outlive reloads that keep the name.</summary>
public abstract class RequestCounts(string name)
{
    private readonly long[] _byStatusClass = new long[6];

    public string Name { get; } = name;

    public void Count(int status)
    {
        var statusClass = (uint)(status / 100);
        Interlocked.Increment(ref _byStatusClass[statusClass < 6 ? statusClass : 0]);
    }

    /// <summary>Requests answered with a status of class <paramref name="statusClass"/> (1..5).</summary>
    public long Requests(int statusClass) => Interlocked.Read(ref _byStatusClass[statusClass]);
}
