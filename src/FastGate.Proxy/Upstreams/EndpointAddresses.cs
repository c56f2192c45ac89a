using System.Net;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// Where an endpoint's new connections go: its IP address, or the last answer for its host name.
/// The answer is an immutable array swapped with one volatile write by <see cref="DnsRefresher"/>;
/// <see cref="Next"/> and <see cref="IsCurrent"/> run on the request path and allocate nothing.
/// Thread-safe.
/// </summary>
public sealed class EndpointAddresses
{
    private static readonly IPEndPoint[] NoAnswer = [];

    private readonly EndPoint _configured;
    private IPEndPoint[] _answer;
    private uint _next;

    public EndpointAddresses(EndPoint configured)
    {
        _configured = configured;
        HostName = configured as DnsEndPoint;
        _answer = configured is IPEndPoint ip ? [ip] : NoAnswer;
    }

    /// <summary>The name to resolve, or null when the endpoint was given as an IP address.</summary>
    public DnsEndPoint? HostName { get; }

    /// <summary>The addresses new connections rotate over; empty while a host name has not resolved yet.</summary>
    public IReadOnlyList<IPEndPoint> Current => Volatile.Read(ref _answer);

    /// <summary>
    /// The address for the next connection, in turn over the current answer. Until a host name first
    /// resolves it is the name itself, which the connector resolves on its own.
    /// </summary>
    public EndPoint Next()
    {
        var answer = Volatile.Read(ref _answer);
        switch (answer.Length)
        {
            case 0:
                return _configured;
            case 1:
                return answer[0];
            default:
                return answer[Interlocked.Increment(ref _next) % (uint)answer.Length];
        }
    }

    /// <summary>
    /// False when a connection to <paramref name="target"/> should not be reused: the name no longer
    /// resolves there. A connection opened by name before the first answer is not current once an
    /// answer is known, because where the connector's own lookup sent it cannot be told.
    /// </summary>
    public bool IsCurrent(EndPoint target)
    {
        if (HostName is null)
        {
            return true;
        }
        var answer = Volatile.Read(ref _answer);
        if (answer.Length == 0)
        {
            return true;
        }
        if (target is not IPEndPoint ip)
        {
            return false;
        }
        foreach (var address in answer)
        {
            if (ReferenceEquals(address, ip) || address.Equals(ip))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Takes a lookup's answer for <see cref="HostName"/>. Returns false and keeps the current answer
    /// when the new one is empty (a failed lookup must not leave the endpoint nowhere to go) or names
    /// the same addresses (the array is kept, so the rotation goes on undisturbed).
    /// </summary>
    internal bool Update(IReadOnlyList<IPAddress> addresses)
    {
        if (HostName is not { } name)
        {
            return false;
        }
        var next = new List<IPEndPoint>(addresses.Count);
        foreach (var address in addresses)
        {
            var endpoint = new IPEndPoint(address, name.Port);
            if (!next.Contains(endpoint))
            {
                next.Add(endpoint);
            }
        }
        var current = Volatile.Read(ref _answer);
        if (next.Count == 0 || SameAddresses(current, next))
        {
            return false;
        }
        // The resolver's order is kept: it already sorts by preference (RFC 6724).
        Volatile.Write(ref _answer, next.ToArray());
        return true;
    }

    private static bool SameAddresses(IPEndPoint[] current, List<IPEndPoint> next)
    {
        if (current.Length != next.Count)
        {
            return false;
        }
        foreach (var endpoint in current)
        {
            if (!next.Contains(endpoint))
            {
                return false;
            }
        }
        return true;
    }
}
