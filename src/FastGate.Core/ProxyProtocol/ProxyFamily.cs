namespace FastGate.Core.ProxyProtocol;

/// <summary>
/// The address family a PROXY protocol header declares, in the v1 spelling. UNKNOWN covers v1
/// "UNKNOWN" and the v2 families that carry no TCP address (unspecified, UDP, Unix sockets): the
/// receiver keeps the connection's real peer address for those.
/// </summary>
public enum ProxyFamily : byte
{
    UNKNOWN = 0,
    TCP4 = 1,
    TCP6 = 2,
}
