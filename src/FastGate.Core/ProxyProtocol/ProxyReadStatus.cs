namespace FastGate.Core.ProxyProtocol;

/// <summary>What <see cref="ProxyProtocolReader.TryRead(in System.Buffers.ReadOnlySequence{byte}, out ProxyHeader, out ProxyHeaderError)"/> made of the bytes so far.</summary>
public enum ProxyReadStatus : byte
{
    /// <summary>The bytes so far are a valid beginning; read more and call again with all of them.</summary>
    NeedMore,
    /// <summary>A whole header was read; its length is how many bytes to consume.</summary>
    Done,
    /// <summary>The bytes are not a PROXY protocol header (the error says why); close the connection.</summary>
    Invalid,
}
