namespace FastGate.Proxy.Hosting;

/// <summary>
/// A client's address in the forms its connections use: as ASCII text (X-Forwarded-For, logs),
/// as 4 or 16 bytes (address checks; empty when unknown) and hashed (hash load balancing). One
/// object, shared by the connections of one address (see <see cref="ClientAddressCache"/>), so
/// an idle connection keeps one reference for all three; never written once made.
/// </summary>
public sealed class ClientAddressInfo
{
    public ClientAddressInfo(byte[] text, byte[] ip)
    {
        Text = text;
        Ip = ip;
        Hash = LoadBalancing.StableHash.Hash(text);
    }

    public byte[] Text { get; }

    public byte[] Ip { get; }

    public ulong Hash { get; }
}
