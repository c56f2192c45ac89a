namespace FastGate.Core.Tls;

/// <summary>Why bytes are not a ClientHello the reader accepts; also the label of the passthrough rejection counter.</summary>
public enum TlsClientHelloError : byte
{
    None,
    /// <summary>A record other than handshake (22) before the ClientHello ended: not TLS, or SSLv2.</summary>
    NotHandshake,
    /// <summary>A record or ClientHello version whose major is not 3 (SSL 3.0 to TLS 1.3 all carry 3.x).</summary>
    UnsupportedVersion,
    /// <summary>The first handshake message is not a ClientHello (type 1).</summary>
    NotClientHello,
    /// <summary>A length that is zero where it may not be, too long for its record, or disagreeing with what it encloses.</summary>
    BadLength,
    /// <summary>A repeated server_name extension or a field out of its allowed range.</summary>
    Malformed,
    /// <summary>A host_name that is empty, longer than 255 bytes or not a DNS name.</summary>
    BadServerName,
    /// <summary>The ClientHello would not fit in the bytes the reader is allowed to buffer.</summary>
    Oversized,
}
