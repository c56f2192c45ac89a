namespace FastGate.Proxy.Config;

/// <summary>Whether a TLS listener asks clients for a certificate (<c>client_auth</c>).</summary>
public enum TlsClientAuth
{
    /// <summary>No certificate is asked for.</summary>
    None,
    /// <summary>A certificate is asked for; a client without one is served, one with a bad one is refused.</summary>
    Optional,
    /// <summary>A client without a certificate that <c>client_ca</c> verifies is refused.</summary>
    Required,
}
