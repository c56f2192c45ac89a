using System.Text;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// Consistent hashing on a ring (Karger et al.; Envoy's ring_hash): each endpoint owns points on
/// a 64-bit ring in proportion to its weight, and a client goes to the first point at or after
/// its hash. Adding or removing an endpoint moves only the clients of the points it gains or
/// loses. Built once per snapshot; a lookup is a binary search.
/// </summary>
public sealed class RingHashPolicy : ILoadBalancingPolicy
{
    private const int PointsPerWeight = 160;

    private readonly ulong[] _points;
    private readonly int[] _owners;

    public RingHashPolicy(IReadOnlyList<string> addresses, IReadOnlyList<int> weights)
    {
        var ring = new List<(ulong Point, int Owner)>();
        for (var i = 0; i < addresses.Count; i++)
        {
            var name = Encoding.UTF8.GetBytes(addresses[i]);
            for (var replica = 0; replica < PointsPerWeight * weights[i]; replica++)
            {
                ring.Add((StableHash.Hash(name, (ulong)replica), i));
            }
        }
        ring.Sort((x, y) => x.Point != y.Point ? x.Point.CompareTo(y.Point) : x.Owner.CompareTo(y.Owner));
        _points = ring.Select(p => p.Point).ToArray();
        _owners = ring.Select(p => p.Owner).ToArray();
    }

    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash)
    {
        if (_points.Length == 0)
        {
            return -1;
        }
        var index = Array.BinarySearch(_points, hash);
        if (index < 0)
        {
            index = ~index;
        }
        return _owners[index == _points.Length ? 0 : index];
    }
}
