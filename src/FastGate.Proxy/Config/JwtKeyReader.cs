using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace FastGate.Proxy.Config;

/// <summary>
/// Reads the verification keys of <c>[route.jwt]</c> when the config is loaded: a PEM public key
/// or certificate (RSA or EC P-256), or a JWKS file. Only the public part of a key is kept, so a
/// PEM that holds a private key by mistake leaves no private key in the snapshot.
/// </summary>
internal static class JwtKeyReader
{
    /// <summary>RSA below 2048 bits is breakable today (NIST SP 800-131A); such a key is refused.</summary>
    private const int MinRsaBits = 2048;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    public static bool TryReadPem(string path, [NotNullWhen(true)] out JwtKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            error = $"cannot read '{path}': {e.Message}";
            return false;
        }

        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            try
            {
                using var certificate = X509Certificate2.CreateFromPem(text);
                if (certificate.GetRSAPublicKey() is { } certRsa)
                {
                    return TryRsa(null, certRsa, out key, out error);
                }
                if (certificate.GetECDsaPublicKey() is { } certEc)
                {
                    return TryEcdsa(null, certEc, out key, out error);
                }
                error = $"the certificate in '{path}' holds neither an RSA nor an EC key";
                return false;
            }
            catch (CryptographicException e)
            {
                error = $"cannot read the certificate in '{path}': {e.Message}";
                return false;
            }
        }

        // The same "PUBLIC KEY" label serves RSA and EC: let each importer try it.
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(text);
            return TryRsa(null, rsa, out key, out error);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(text);
            return TryEcdsa(null, ecdsa, out key, out error);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            ecdsa.Dispose();
        }

        error = $"'{path}' holds no RSA or EC key in PEM form (\"-----BEGIN PUBLIC KEY-----\" or a certificate)";
        return false;
    }

    /// <summary>
    /// Reads a JWKS (RFC 7517 §5). Keys the gateway cannot verify with (other key types, curves or
    /// algorithms, or "use": "enc") are skipped, as identity providers publish such keys beside the
    /// signing ones; a file left with no usable key, or two keys with one "kid", is an error.
    /// </summary>
    public static bool TryReadJwks(string path, [NotNullWhen(true)] out List<JwtKey>? keys, [NotNullWhen(false)] out string? error)
    {
        keys = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            error = $"cannot read '{path}': {e.Message}";
            return false;
        }
        catch (JsonException e)
        {
            error = $"'{path}' is not valid JSON: {e.Message}";
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var array)
                || array.ValueKind != JsonValueKind.Array)
            {
                error = $"'{path}' is not a JWKS: expected an object with a \"keys\" array";
                return false;
            }

            var found = new List<JwtKey>();
            var kids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var jwk in array.EnumerateArray())
            {
                if (jwk.ValueKind != JsonValueKind.Object)
                {
                    error = $"'{path}': every entry of \"keys\" must be an object";
                    return false;
                }

                var kid = Text(jwk, "kid");
                if (Text(jwk, "use") is { } use && use != "sig")
                {
                    continue;
                }

                JwtKey? key;
                try
                {
                    key = ReadJwk(jwk, kid, out error);
                }
                catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
                {
                    error = $"'{path}': key '{kid ?? "(no kid)"}' is malformed: {e.Message}";
                    return false;
                }

                if (error is not null)
                {
                    error = $"'{path}': {error}";
                    return false;
                }
                if (key is null)
                {
                    continue;
                }
                if (kid is not null && !kids.Add(kid))
                {
                    error = $"'{path}': two keys have kid '{kid}'";
                    return false;
                }

                found.Add(key);
            }

            if (found.Count == 0)
            {
                error = $"'{path}' has no key usable for RS256 or ES256 signatures (RSA, or EC on P-256)";
                return false;
            }

            keys = found;
            error = null;
            return true;
        }
    }

    /// <summary>A key, or null with no error for a key of a kind that is skipped.</summary>
    private static JwtKey? ReadJwk(JsonElement jwk, string? kid, out string? error)
    {
        error = null;
        var alg = Text(jwk, "alg");
        switch (Text(jwk, "kty"))
        {
            case "RSA" when alg is null or "RS256":
                var modulus = Bytes(jwk, "n");
                var exponent = Bytes(jwk, "e");
                if (modulus is null || exponent is null)
                {
                    error = $"RSA key '{kid ?? "(no kid)"}' needs \"n\" and \"e\"";
                    return null;
                }
                var rsa = RSA.Create(new RSAParameters { Modulus = modulus, Exponent = exponent });
                return TryRsa(kid, rsa, out var rsaKey, out error) ? rsaKey : null;
            case "EC" when (alg is null or "ES256") && Text(jwk, "crv") == "P-256":
                var x = Bytes(jwk, "x");
                var y = Bytes(jwk, "y");
                if (x is not { Length: 32 } || y is not { Length: 32 })
                {
                    error = $"EC key '{kid ?? "(no kid)"}' needs 32-byte \"x\" and \"y\"";
                    return null;
                }
                var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
                return TryEcdsa(kid, ecdsa, out var ecKey, out error) ? ecKey : null;
            default:
                return null;
        }
    }

    private static bool TryRsa(string? kid, RSA rsa, [NotNullWhen(true)] out JwtKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        using (rsa)
        {
            if (rsa.KeySize < MinRsaBits)
            {
                error = $"RSA key of {rsa.KeySize} bits is too weak: use at least {MinRsaBits}";
                return false;
            }
            key = JwtKey.FromRsa(kid, RSA.Create(rsa.ExportParameters(includePrivateParameters: false)));
        }
        error = null;
        return true;
    }

    private static bool TryEcdsa(string? kid, ECDsa ecdsa, [NotNullWhen(true)] out JwtKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        using (ecdsa)
        {
            var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
            var oid = parameters.Curve.Oid;
            bool p256 = oid?.Value == P256Oid || oid?.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1";
            if (!p256)
            {
                error = $"EC key on curve '{oid?.FriendlyName ?? oid?.Value ?? "?"}' is not served: ES256 needs P-256";
                return false;
            }
            key = JwtKey.FromEcdsa(kid, ECDsa.Create(parameters));
        }
        error = null;
        return true;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[]? Bytes(JsonElement element, string name) =>
        Text(element, name) is { } text ? Base64Url.DecodeFromChars(text) : null;
}
