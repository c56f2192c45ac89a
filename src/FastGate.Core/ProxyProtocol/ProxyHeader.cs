namespace FastGate.Core.ProxyProtocol;

/// <summary>A PROXY protocol header as read from the start of a connection.</summary>
public struct ProxyHeader
{
    public ProxyVersion Version { get; internal set; }
    public ProxyCommand Command { get; internal set; }
    public ProxyFamily Family { get; internal set; }
    /// <summary>The client as the sender saw it; empty unless <see cref="HasAddresses"/>.</summary>
    public ProxyAddress Source;
    /// <summary>The address the client connected to at the sender; empty unless <see cref="HasAddresses"/>.</summary>
    public ProxyAddress Destination;
    /// <summary>Bytes the header takes at the start of the stream, TLVs included: consume exactly these.</summary>
    public int Length { get; internal set; }

    /// <summary>
    /// The header names the client: a PROXY command with a TCP4 or TCP6 family. Otherwise (LOCAL,
    /// UNKNOWN) the receiver keeps the connection's real peer address, as the spec asks.
    /// </summary>
    public readonly bool HasAddresses => Command == ProxyCommand.PROXY && Family != ProxyFamily.UNKNOWN;
}
