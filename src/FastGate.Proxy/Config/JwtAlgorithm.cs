namespace FastGate.Proxy.Config;

/// <summary>
/// The JWS algorithms served (RFC 7518 §3.1 names). Flags, so a set of allowed algorithms is one
/// value. "none" and everything else are refused by construction.
/// </summary>
[Flags]
public enum JwtAlgorithm : byte
{
    None = 0,
    /// <summary>HMAC with SHA-256 over a shared secret.</summary>
    HS256 = 1,
    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    RS256 = 2,
    /// <summary>ECDSA on P-256 with SHA-256, signature as r||s (IEEE P1363).</summary>
    ES256 = 4,
}
