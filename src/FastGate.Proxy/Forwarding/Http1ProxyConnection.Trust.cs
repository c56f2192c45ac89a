using System.Net;

namespace FastGate.Proxy.Forwarding;

public sealed partial class Http1ProxyConnection
{
    private static bool IsTrusted(byte[] clientAddress, IReadOnlyList<IPNetwork> networks)
    {
        if (networks.Count == 0 || !IPAddress.TryParse(clientAddress, out var address))
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        for (int i = 0; i < networks.Count; i++)
        {
            if (networks[i].Contains(address))
            {
                return true;
            }
        }
        return false;
    }
}
