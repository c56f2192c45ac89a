using System.Text;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.LoadBalancing;

/// <summary>
/// Maglev hashing (Eisenbud et al., NSDI 2016): a lookup table of prime size where each endpoint
/// fills slots along its own permutation (offset and skip from two hashes of its address) in
/// turns; heavier endpoints take more turns. A client's hash indexes the table: O(1) and
/// minimal disruption when the endpoint set changes.
/// </summary>
public sealed class MaglevPolicy : ILoadBalancingPolicy
{
    /// <summary>Prime, and large against the endpoint count so each gets its share within ~1%.</summary>
    public const int TableSize = 65537;

    private readonly int[] _table = new int[TableSize];

    public MaglevPolicy(IReadOnlyList<string> addresses, IReadOnlyList<int> weights)
    {
        var count = addresses.Count;
        if (count == 0)
        {
            Array.Fill(_table, -1);
            return;
        }
        var offsets = new long[count];
        var skips = new long[count];
        var next = new long[count];
        for (var i = 0; i < count; i++)
        {
            var name = Encoding.UTF8.GetBytes(addresses[i]);
            offsets[i] = (long)(StableHash.Hash(name, 0xA5A5) % TableSize);
            skips[i] = (long)(StableHash.Hash(name, 0x5A5A) % (TableSize - 1)) + 1;
        }
        Array.Fill(_table, -1);
        var maxWeight = weights.Max();
        var credit = new double[count];
        var filled = 0;
        while (filled < TableSize)
        {
            for (var i = 0; i < count && filled < TableSize; i++)
            {
                // Weighted turns (as Envoy weights Maglev): the heaviest endpoint takes a slot every
                // round, one of half its weight every other round.
                credit[i] += (double)weights[i] / maxWeight;
                if (credit[i] < 1)
                {
                    continue;
                }
                credit[i] -= 1;
                while (true)
                {
                    var slot = (int)((offsets[i] + next[i] * skips[i]) % TableSize);
                    next[i]++;
                    if (_table[slot] < 0)
                    {
                        _table[slot] = i;
                        filled++;
                        break;
                    }
                }
            }
        }
    }

    public int Pick(ReadOnlySpan<EndpointState> endpoints, ulong hash) => _table[(int)(hash % TableSize)];
}
