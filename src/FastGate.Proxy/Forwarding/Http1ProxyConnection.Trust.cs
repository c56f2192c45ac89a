using System.Net;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Forwarding;

public sealed partial class Http1ProxyConnection
{
    // Whether this client may speak for others in X-Forwarded-For (trusted_proxies). Decided when the
    // connection takes up a snapshot, which is once at start and again only after a reload.
    private bool _clientTrusted;
    private IReadOnlyList<IPNetwork>? _trustDecidedFor;

    private void DecideClientTrust(LimitsModel limits)
    {
        var networks = limits.TrustedProxies;
        if (ReferenceEquals(networks, _trustDecidedFor))
        {
            return;
        }
        _trustDecidedFor = networks;
        _clientTrusted = false;
        if (networks.Count == 0 || !IPAddress.TryParse(_clientAddress, out var address))
        {
            return;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        for (int i = 0; i < networks.Count; i++)
        {
            if (networks[i].Contains(address))
            {
                _clientTrusted = true;
                return;
            }
        }
    }
}
