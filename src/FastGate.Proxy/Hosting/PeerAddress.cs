using System.Net;

namespace FastGate.Proxy.Hosting;

/// <summary>A socket peer's address as the rest of the gateway keys it.</summary>
public static class PeerAddress
{
    /// <summary>
    /// The IP as 4 bytes (IPv4, also when a dual-mode socket reports it mapped into IPv6) or 16;
    /// empty when the socket gives no IP address.
    /// </summary>
    public static byte[] Ip(EndPoint? endPoint) => endPoint is IPEndPoint ip
        ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).GetAddressBytes()
        : [];
}
