using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FastGate.Proxy.Tests.Stages.Auth;

/// <summary>Builds JWTs the way an issuer would, with keys made in the test, and writes PEM and JWKS files.</summary>
internal static class TestJwt
{
    public const string HmacSecret = "an-hmac-secret-of-at-least-32-bytes!";

    public static string B64(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);

    public static string B64(string json) => B64(Encoding.UTF8.GetBytes(json));

    public static string Header(string alg, string? kid = null) =>
        kid is null ? $"{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}" : $"{{\"alg\":\"{alg}\",\"typ\":\"JWT\",\"kid\":\"{kid}\"}}";

    /// <summary>Claims valid an hour either side of <paramref name="now"/>, with the extra members given as JSON.</summary>
    public static string Claims(DateTimeOffset now, string extra = "\"sub\":\"alice\"") =>
        $"{{\"exp\":{now.AddHours(1).ToUnixTimeSeconds()},\"iat\":{now.ToUnixTimeSeconds()},{extra}}}";

    public static string Sign(string headerJson, string claimsJson, Func<byte[], byte[]> signer)
    {
        var input = B64(headerJson) + "." + B64(claimsJson);
        return input + "." + B64(signer(Encoding.ASCII.GetBytes(input)));
    }

    public static Func<byte[], byte[]> Hmac(string secret) => data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data);

    public static Func<byte[], byte[]> Hmac(byte[] secret) => data => HMACSHA256.HashData(secret, data);

    public static Func<byte[], byte[]> Rs256(RSA rsa) => data => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    public static Func<byte[], byte[]> Es256(ECDsa ecdsa) => data => ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public static string HmacToken(DateTimeOffset now, string extra = "\"sub\":\"alice\"") =>
        Sign(Header("HS256"), Claims(now, extra), Hmac(HmacSecret));

    public static string RsaJwk(RSA rsa, string kid)
    {
        var p = rsa.ExportParameters(false);
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256", ["n"] = B64(p.Modulus), ["e"] = B64(p.Exponent),
        });
    }

    public static string EcJwk(ECDsa ecdsa, string kid)
    {
        var p = ecdsa.ExportParameters(false);
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "EC", ["kid"] = kid, ["crv"] = "P-256", ["x"] = B64(p.Q.X), ["y"] = B64(p.Q.Y),
        });
    }

    public static string Jwks(params string[] jwks) => "{\"keys\":[" + string.Join(",", jwks) + "]}";
}
