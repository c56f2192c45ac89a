using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages.Auth;

/// <summary>
/// Checks a compact JWS (RFC 7515 §7.1) against a route's <c>[route.jwt]</c>: shape, header,
/// signature, then the registered claims (RFC 7519 §4.1). The order matters: nothing in the
/// payload is trusted, or even parsed, before the signature verified.
/// <code>
///   BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature)
///   |------------ signing input ------------|
/// </code>
/// Immutable and shared by every exchange of the route; works in a buffer the caller provides.
/// </summary>
public sealed class JwtValidator
{
    /// <summary>Longer "kid" values name no key we hold; they are refused without being copied.</summary>
    private const int MaxKidBytes = 256;

    private readonly JwtKey[] _keys;
    private readonly byte[]?[] _kids;
    private readonly bool _fromJwks;
    private readonly JwtAlgorithm _algorithms;
    private readonly byte[]? _issuer;
    private readonly byte[][] _audiences;
    private readonly double _leewaySeconds;

    public JwtValidator(JwtModel model)
    {
        _keys = [.. model.Keys];
        _kids = new byte[]?[_keys.Length];
        for (var i = 0; i < _keys.Length; i++)
        {
            _kids[i] = _keys[i].Kid is { } kid ? Encoding.UTF8.GetBytes(kid) : null;
        }
        _fromJwks = model.FromJwks;
        _algorithms = model.Algorithms;
        _issuer = model.Issuer is { } issuer ? Encoding.UTF8.GetBytes(issuer) : null;
        _audiences = new byte[model.Audiences.Count][];
        for (var i = 0; i < _audiences.Length; i++)
        {
            _audiences[i] = Encoding.UTF8.GetBytes(model.Audiences[i]);
        }
        _leewaySeconds = model.Leeway.TotalSeconds;
        MaxTokenBytes = model.MaxTokenBytes;
    }

    public int MaxTokenBytes { get; }

    /// <summary>
    /// Validates <paramref name="token"/> at <paramref name="now"/> (Unix seconds). On success
    /// returns <see cref="AuthRefusal.None"/> with the decoded claims set in
    /// <c>buffer[..payloadLength]</c>. <paramref name="buffer"/> must hold
    /// <paramref name="token"/>.Length bytes: no segment decodes to more than that.
    /// </summary>
    public AuthRefusal Validate(ReadOnlySpan<byte> token, double now, Span<byte> buffer, out int payloadLength)
    {
        payloadLength = 0;
        if (token.Length > MaxTokenBytes)
        {
            return AuthRefusal.TokenTooLarge;
        }

        var firstDot = token.IndexOf((byte)'.');
        if (firstDot <= 0)
        {
            return AuthRefusal.TokenMalformed;
        }
        var secondDot = token[(firstDot + 1)..].IndexOf((byte)'.');
        if (secondDot <= 0)
        {
            return AuthRefusal.TokenMalformed;
        }
        secondDot += firstDot + 1;
        var signingInput = token[..secondDot];
        var encodedSignature = token[(secondDot + 1)..];
        // A third dot would be a JWE or junk; '=' is padding, which RFC 7515 §2 leaves out.
        if (encodedSignature.IndexOf((byte)'.') >= 0 || token.IndexOf((byte)'=') >= 0)
        {
            return AuthRefusal.TokenMalformed;
        }

        if (!Decode(token[..firstDot], buffer, out var headerLength))
        {
            return AuthRefusal.TokenMalformed;
        }
        Span<byte> kid = stackalloc byte[MaxKidBytes];
        var refusal = ReadHeader(buffer[..headerLength], kid, out var algorithm, out var kidLength);
        if (refusal != AuthRefusal.None)
        {
            return refusal;
        }
        if ((_algorithms & algorithm) == 0)
        {
            return AuthRefusal.AlgorithmNotAllowed;
        }
        var key = FindKey(kid, kidLength);
        if (key is null)
        {
            return AuthRefusal.UnknownKid;
        }
        // The token's alg must be the key's own: an HS256 token is never checked with an RSA or EC
        // key's bytes as the HMAC secret (the "alg confusion" attack), nor RS256 with an EC key.
        if (key.Algorithm != algorithm)
        {
            return AuthRefusal.AlgorithmNotAllowed;
        }

        if (!Decode(encodedSignature, buffer, out var signatureLength) || !Verify(key, signingInput, buffer[..signatureLength]))
        {
            return AuthRefusal.BadSignature;
        }

        if (!Decode(token[(firstDot + 1)..secondDot], buffer, out payloadLength))
        {
            return AuthRefusal.TokenMalformed;
        }
        return CheckClaims(buffer[..payloadLength], now);
    }

    private static bool Decode(ReadOnlySpan<byte> encoded, Span<byte> destination, out int written)
    {
        if (encoded.IsEmpty)
        {
            written = 0;
            return false;
        }
        return Base64Url.DecodeFromUtf8(encoded, destination, out _, out written) == OperationStatus.Done;
    }

    /// <summary>
    /// Reads "alg" and "kid". A "crit" header is refused: it lists extensions the recipient must
    /// understand (RFC 7515 §4.1.11), and we understand none. A repeated "alg" or "kid" is refused,
    /// since parsers disagree on which one counts.
    /// </summary>
    private static AuthRefusal ReadHeader(ReadOnlySpan<byte> header, Span<byte> kid, out JwtAlgorithm algorithm, out int kidLength)
    {
        algorithm = JwtAlgorithm.None;
        kidLength = -1;
        var sawAlg = false;
        try
        {
            var reader = new Utf8JsonReader(header);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return AuthRefusal.TokenMalformed;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("alg"u8))
                {
                    if (sawAlg || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return AuthRefusal.TokenMalformed;
                    }
                    sawAlg = true;
                    algorithm = reader.ValueTextEquals("HS256"u8) ? JwtAlgorithm.HS256
                        : reader.ValueTextEquals("RS256"u8) ? JwtAlgorithm.RS256
                        : reader.ValueTextEquals("ES256"u8) ? JwtAlgorithm.ES256
                        : JwtAlgorithm.None;
                }
                else if (reader.ValueTextEquals("kid"u8))
                {
                    if (kidLength != -1 || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return AuthRefusal.TokenMalformed;
                    }
                    // The escaped length bounds the unescaped one; past the buffer it names no key.
                    kidLength = reader.ValueSpan.Length > kid.Length ? kid.Length + 1 : reader.CopyString(kid);
                }
                else if (reader.ValueTextEquals("crit"u8))
                {
                    return AuthRefusal.TokenMalformed;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return AuthRefusal.TokenMalformed;
            }
        }
        catch (JsonException)
        {
            return AuthRefusal.TokenMalformed;
        }
        if (!sawAlg)
        {
            return AuthRefusal.TokenMalformed;
        }
        // "none" and every algorithm we do not serve end here.
        return algorithm == JwtAlgorithm.None ? AuthRefusal.AlgorithmNotAllowed : AuthRefusal.None;
    }

    /// <summary>
    /// With a JWKS the "kid" picks the key; a token without one is accepted only when the set holds
    /// a single key. Keys from public_key or secret are single and ignore "kid".
    /// </summary>
    /// <param name="kidLength">-1 when the header has no "kid"; more than the buffer when it was too long to copy.</param>
    private JwtKey? FindKey(ReadOnlySpan<byte> kidBuffer, int kidLength)
    {
        if (!_fromJwks)
        {
            return _keys[0];
        }
        if (kidLength < 0)
        {
            return _keys.Length == 1 ? _keys[0] : null;
        }
        if (kidLength > kidBuffer.Length)
        {
            return null;
        }
        var kid = kidBuffer[..kidLength];
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_kids[i] is { } candidate && kid.SequenceEqual(candidate))
            {
                return _keys[i];
            }
        }
        return null;
    }

    private static bool Verify(JwtKey key, ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        try
        {
            switch (key.Algorithm)
            {
                case JwtAlgorithm.HS256:
                    Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
                    HMACSHA256.HashData(key.Secret, signingInput, mac);
                    // Constant time: a comparison that stops early would let a caller find the MAC byte by byte.
                    return signature.Length == mac.Length && CryptographicOperations.FixedTimeEquals(mac, signature);
                case JwtAlgorithm.RS256:
                    return key.Rsa!.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                case JwtAlgorithm.ES256:
                    // JWS carries r||s, 32 bytes each (RFC 7518 §3.4), not DER.
                    return signature.Length == 64
                        && key.Ecdsa!.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// exp is required (a token without one would never expire); nbf is checked when present;
    /// iss and aud when the route names them. Each of these may appear once.
    /// </summary>
    private AuthRefusal CheckClaims(ReadOnlySpan<byte> payload, double now)
    {
        double? expires = null, notBefore = null;
        bool sawIssuer = false, issuerMatches = false, sawAudience = false, audienceMatches = false;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return AuthRefusal.TokenMalformed;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("exp"u8))
                {
                    if (expires is not null || !ReadNumericDate(ref reader, out var value))
                    {
                        return AuthRefusal.TokenMalformed;
                    }
                    expires = value;
                }
                else if (reader.ValueTextEquals("nbf"u8))
                {
                    if (notBefore is not null || !ReadNumericDate(ref reader, out var value))
                    {
                        return AuthRefusal.TokenMalformed;
                    }
                    notBefore = value;
                }
                else if (reader.ValueTextEquals("iss"u8))
                {
                    if (sawIssuer || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return AuthRefusal.TokenMalformed;
                    }
                    sawIssuer = true;
                    issuerMatches = _issuer is not null && reader.ValueTextEquals(_issuer);
                }
                else if (reader.ValueTextEquals("aud"u8))
                {
                    if (sawAudience || !ReadAudience(ref reader, out audienceMatches))
                    {
                        return AuthRefusal.TokenMalformed;
                    }
                    sawAudience = true;
                }
                else if (reader.ValueTextEquals("sub"u8))
                {
                    // The subject picks the consumer: it must be one string, not an object or a list.
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return AuthRefusal.TokenMalformed;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return AuthRefusal.TokenMalformed;
            }
        }
        catch (JsonException)
        {
            return AuthRefusal.TokenMalformed;
        }

        if (expires is not { } exp)
        {
            return AuthRefusal.NoExpiry;
        }
        // RFC 7519 §4.1.4: valid only before exp; the leeway absorbs clock skew between us and the issuer.
        if (now >= exp + _leewaySeconds)
        {
            return AuthRefusal.Expired;
        }
        if (notBefore is { } nbf && now + _leewaySeconds < nbf)
        {
            return AuthRefusal.NotYetValid;
        }
        if (_issuer is not null && !issuerMatches)
        {
            return AuthRefusal.WrongIssuer;
        }
        if (_audiences.Length > 0 && !audienceMatches)
        {
            return AuthRefusal.WrongAudience;
        }
        return AuthRefusal.None;
    }

    private static bool ReadNumericDate(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out value) && double.IsFinite(value);
    }

    /// <summary>"aud" is one string or an array of strings (RFC 7519 §4.1.3); true when the shape is right.</summary>
    private bool ReadAudience(ref Utf8JsonReader reader, out bool matches)
    {
        matches = false;
        if (!reader.Read())
        {
            return false;
        }
        if (reader.TokenType == JsonTokenType.String)
        {
            matches = MatchesAudience(ref reader);
            return true;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return false;
            }
            matches |= MatchesAudience(ref reader);
        }
        return true;
    }

    private bool MatchesAudience(ref Utf8JsonReader reader)
    {
        foreach (var audience in _audiences)
        {
            if (reader.ValueTextEquals(audience))
            {
                return true;
            }
        }
        return false;
    }
}
