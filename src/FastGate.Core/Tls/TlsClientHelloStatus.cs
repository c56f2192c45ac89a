namespace FastGate.Core.Tls;

/// <summary>What <see cref="TlsClientHelloReader"/> made of the bytes received so far.</summary>
public enum TlsClientHelloStatus : byte
{
    /// <summary>A valid start of a ClientHello: read more and ask again.</summary>
    NeedMore,
    /// <summary>The whole ClientHello is in hand; the server name (if any) was written out.</summary>
    Found,
    /// <summary>Not a ClientHello this reader accepts; <see cref="TlsClientHelloError"/> says why.</summary>
    Invalid,
}
