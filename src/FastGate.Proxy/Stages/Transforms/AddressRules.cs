using System.Net;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// A route's <c>allow</c> and <c>deny</c> lists. Deny wins; with an allow list, an address not in
/// it is refused; a client whose address is unknown (no IP, as on a Unix socket) passes only a
/// route without an allow list. Lists are short, so a linear scan beats any index here.
/// </summary>
public sealed class AddressRules
{
    private readonly IpRange[] _allow;
    private readonly IpRange[] _deny;

    public AddressRules(IReadOnlyList<IPNetwork> allow, IReadOnlyList<IPNetwork> deny)
    {
        _allow = Convert(allow);
        _deny = Convert(deny);
    }

    public bool Permits(ReadOnlySpan<byte> ip)
    {
        if (!IpRange.TryRead(ip, out var high, out var low, out var isIPv4))
        {
            return _allow.Length == 0;
        }
        foreach (ref readonly var range in _deny.AsSpan())
        {
            if (range.Contains(high, low, isIPv4))
            {
                return false;
            }
        }
        if (_allow.Length == 0)
        {
            return true;
        }
        foreach (ref readonly var range in _allow.AsSpan())
        {
            if (range.Contains(high, low, isIPv4))
            {
                return true;
            }
        }
        return false;
    }

    private static IpRange[] Convert(IReadOnlyList<IPNetwork> networks)
    {
        var ranges = new IpRange[networks.Count];
        for (var i = 0; i < ranges.Length; i++)
        {
            ranges[i] = IpRange.From(networks[i]);
        }
        return ranges;
    }
}
