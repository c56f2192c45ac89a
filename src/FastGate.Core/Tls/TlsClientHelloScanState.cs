namespace FastGate.Core.Tls;

/// <summary>
/// Where <see cref="TlsClientHelloReader"/> stopped walking the records of one connection, so the
/// next call starts at the first record not yet whole instead of at the first byte: a hello
/// trickled in one byte per read costs linear time, not quadratic. Valid only while the bytes it
/// was computed on stay at the start of the buffer (nothing consumed); a default value starts over.
/// </summary>
public struct TlsClientHelloScanState
{
    /// <summary>Offset of the first record header not followed by its whole record.</summary>
    internal long NextRecord;
    /// <summary>Handshake payload bytes in the whole records before <see cref="NextRecord"/>.</summary>
    internal long PayloadBefore;
    /// <summary>The ClientHello's declared length, once its handshake header has arrived; -1 before (stored + 1 so default is "unknown").</summary>
    internal int MessageLengthPlusOne;

    /// <summary>Starts over, for bytes that are not a continuation of the last call's.</summary>
    public void Reset() => this = default;
}
