namespace FastGate.Core.ProxyProtocol;

/// <summary>The command of a PROXY protocol header, in the spec's spelling.</summary>
public enum ProxyCommand : byte
{
    /// <summary>The sender opened the connection for itself (a health check): the real peer is the client.</summary>
    LOCAL = 0,
    /// <summary>The connection is relayed for the client the header names.</summary>
    PROXY = 1,
}
