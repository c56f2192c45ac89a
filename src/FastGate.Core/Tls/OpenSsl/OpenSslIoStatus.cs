namespace FastGate.Core.Tls.OpenSsl;

/// <summary>What a read from an OpenSSL session gave.</summary>
public enum OpenSslIoStatus : byte
{
    /// <summary>Plaintext was read.</summary>
    Data,
    /// <summary>The session needs more bytes from the peer first.</summary>
    WantRead,
    /// <summary>The output had no room for the records the call made: make it again once there is some.</summary>
    WantWrite,
    /// <summary>The peer sent close_notify: no more data will come.</summary>
    Closed,
}
