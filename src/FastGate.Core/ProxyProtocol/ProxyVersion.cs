namespace FastGate.Core.ProxyProtocol;

/// <summary>The two wire formats of the PROXY protocol: v1 is a text line, v2 a binary block.</summary>
public enum ProxyVersion : byte
{
    V1 = 1,
    V2 = 2,
}
