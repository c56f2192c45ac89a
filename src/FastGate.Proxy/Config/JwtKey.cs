using System.Security.Cryptography;

namespace FastGate.Proxy.Config;

/// <summary>
/// One verification key of a route's JWT settings, read when the config was loaded. A key serves
/// exactly one algorithm, fixed by its type: an RSA or EC public key can never be used as an HMAC
/// secret, which is the "alg confusion" attack (a token signed with HS256 using the public key's
/// bytes as the secret).
/// <para>
/// The RSA and ECDsa objects are shared by every exchange of the snapshot: on Linux they wrap
/// OpenSSL keys, whose verify calls take a fresh context each and may run on many threads at once.
/// </para>
/// </summary>
public sealed class JwtKey
{
    private JwtKey(string? kid, JwtAlgorithm algorithm, byte[]? secret, RSA? rsa, ECDsa? ecdsa)
    {
        Kid = kid;
        Algorithm = algorithm;
        Secret = secret;
        Rsa = rsa;
        Ecdsa = ecdsa;
    }

    /// <summary>The JWKS "kid"; null for a key that came from <c>public_key</c> or <c>secret</c>, or a JWK without one.</summary>
    public string? Kid { get; }
    public JwtAlgorithm Algorithm { get; }
    public byte[]? Secret { get; }
    public RSA? Rsa { get; }
    public ECDsa? Ecdsa { get; }

    public static JwtKey Hmac(byte[] secret) => new(null, JwtAlgorithm.HS256, secret, null, null);

    public static JwtKey FromRsa(string? kid, RSA rsa) => new(kid, JwtAlgorithm.RS256, null, rsa, null);

    public static JwtKey FromEcdsa(string? kid, ECDsa ecdsa) => new(kid, JwtAlgorithm.ES256, null, null, ecdsa);
}
