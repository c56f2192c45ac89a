using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages.Auth;
using static FastGate.Proxy.Tests.Stages.Auth.TestJwt;

namespace FastGate.Proxy.Tests.Stages.Auth;

/// <summary>Every way a token is refused, with tokens signed here by keys made here.</summary>
public sealed class JwtValidatorTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose()
    {
        _rsa.Dispose();
        _ec.Dispose();
    }

    private static JwtModel HmacModel(string? issuer = null, string[]? audiences = null, TimeSpan? leeway = null, int maxTokenBytes = 8192) => new()
    {
        Keys = [JwtKey.Hmac(Encoding.UTF8.GetBytes(HmacSecret))],
        Algorithms = JwtAlgorithm.HS256,
        Issuer = issuer,
        Audiences = audiences ?? [],
        Leeway = leeway ?? TimeSpan.FromSeconds(30),
        MaxTokenBytes = maxTokenBytes,
    };

    private JwtModel RsaModel() => new()
    {
        Keys = [JwtKey.FromRsa(null, RSA.Create(_rsa.ExportParameters(false)))],
        Algorithms = JwtAlgorithm.RS256,
    };

    private JwtModel JwksModel(JwtAlgorithm algorithms = JwtAlgorithm.RS256 | JwtAlgorithm.ES256) => new()
    {
        Keys =
        [
            JwtKey.FromRsa("rsa-1", RSA.Create(_rsa.ExportParameters(false))),
            JwtKey.FromEcdsa("ec-1", ECDsa.Create(_ec.ExportParameters(false))),
        ],
        FromJwks = true,
        Algorithms = algorithms,
    };

    private static AuthRefusal Validate(JwtModel model, string token, DateTimeOffset? at = null) =>
        Validate(model, token, at, out _);

    private static AuthRefusal Validate(JwtModel model, string token, DateTimeOffset? at, out string payload)
    {
        var bytes = Encoding.ASCII.GetBytes(token);
        var buffer = new byte[bytes.Length];
        var refusal = new JwtValidator(model).Validate(bytes, (at ?? Now).ToUnixTimeSeconds(), buffer, out var length);
        payload = Encoding.UTF8.GetString(buffer, 0, length);
        return refusal;
    }

    [Fact]
    public void Validate_Hs256_PassesWithClaims()
    {
        var claims = Claims(Now);
        Assert.Equal(AuthRefusal.None, Validate(HmacModel(), Sign(Header("HS256"), claims, Hmac(HmacSecret)), null, out var payload));
        Assert.Equal(claims, payload);
    }

    [Fact]
    public void Validate_Rs256_Passes() =>
        Assert.Equal(AuthRefusal.None, Validate(RsaModel(), Sign(Header("RS256"), Claims(Now), Rs256(_rsa))));

    [Fact]
    public void Validate_Es256FromJwksByKid_Passes() =>
        Assert.Equal(AuthRefusal.None, Validate(JwksModel(), Sign(Header("ES256", "ec-1"), Claims(Now), Es256(_ec))));

    [Fact]
    public void Validate_Rs256FromJwksByKid_Passes() =>
        Assert.Equal(AuthRefusal.None, Validate(JwksModel(), Sign(Header("RS256", "rsa-1"), Claims(Now), Rs256(_rsa))));

    [Fact]
    public void Validate_AlgNone_IsRefused()
    {
        var unsigned = B64(Header("none")) + "." + B64(Claims(Now)) + ".";
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed, Validate(HmacModel(), unsigned));
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed, Validate(RsaModel(), unsigned));
    }

    [Theory]
    [InlineData("NONE")]
    [InlineData("None")]
    [InlineData("HS512")]
    [InlineData("PS256")]
    public void Validate_AlgorithmNotServed_IsRefused(string alg) =>
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed, Validate(HmacModel(), Sign(Header(alg), Claims(Now), Hmac(HmacSecret))));

    /// <summary>
    /// The classic confusion: the attacker signs HS256 with the RSA public key (which is public) as
    /// the HMAC secret. A validator that picked the verification from the token's alg would accept it.
    /// </summary>
    [Fact]
    public void Validate_Hs256SignedWithRsaPublicKey_IsRefused()
    {
        var publicPem = Encoding.ASCII.GetBytes(_rsa.ExportSubjectPublicKeyInfoPem());
        var publicDer = _rsa.ExportSubjectPublicKeyInfo();
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed, Validate(RsaModel(), Sign(Header("HS256"), Claims(Now), Hmac(publicPem))));
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed, Validate(RsaModel(), Sign(Header("HS256"), Claims(Now), Hmac(publicDer))));
    }

    [Fact]
    public void Validate_AlgNotTheKeysOwn_IsRefusedEvenWhenTheRouteAllowsIt()
    {
        // Allowed on the route (an HS256 key could exist), but the kid names the RSA key.
        var model = JwksModel(JwtAlgorithm.RS256 | JwtAlgorithm.ES256 | JwtAlgorithm.HS256);
        var publicPem = Encoding.ASCII.GetBytes(_rsa.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed, Validate(model, Sign(Header("HS256", "rsa-1"), Claims(Now), Hmac(publicPem))));
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed, Validate(model, Sign(Header("ES256", "rsa-1"), Claims(Now), Es256(_ec))));
    }

    [Fact]
    public void Validate_AlgorithmNotInRouteList_IsRefused() =>
        Assert.Equal(AuthRefusal.AlgorithmNotAllowed,
            Validate(JwksModel(JwtAlgorithm.RS256), Sign(Header("ES256", "ec-1"), Claims(Now), Es256(_ec))));

    [Fact]
    public void Validate_UnknownKid_IsRefused() =>
        Assert.Equal(AuthRefusal.UnknownKid, Validate(JwksModel(), Sign(Header("RS256", "rsa-2"), Claims(Now), Rs256(_rsa))));

    [Fact]
    public void Validate_NoKidWithSeveralJwksKeys_IsRefused() =>
        Assert.Equal(AuthRefusal.UnknownKid, Validate(JwksModel(), Sign(Header("RS256"), Claims(Now), Rs256(_rsa))));

    [Fact]
    public void Validate_OverlongKid_IsRefused() =>
        Assert.Equal(AuthRefusal.UnknownKid, Validate(JwksModel(), Sign(Header("RS256", new string('k', 300)), Claims(Now), Rs256(_rsa))));

    [Fact]
    public void Validate_SignedByAnotherKey_IsRefused()
    {
        using var other = RSA.Create(2048);
        Assert.Equal(AuthRefusal.BadSignature, Validate(RsaModel(), Sign(Header("RS256"), Claims(Now), Rs256(other))));
        Assert.Equal(AuthRefusal.BadSignature, Validate(HmacModel(), Sign(Header("HS256"), Claims(Now), Hmac(HmacSecret + "x"))));
    }

    [Fact]
    public void Validate_TamperedPayload_IsRefused()
    {
        var token = Sign(Header("HS256"), Claims(Now, "\"sub\":\"alice\""), Hmac(HmacSecret));
        var parts = token.Split('.');
        var forged = parts[0] + "." + B64(Claims(Now, "\"sub\":\"admin\"")) + "." + parts[2];
        Assert.Equal(AuthRefusal.BadSignature, Validate(HmacModel(), forged));
    }

    [Fact]
    public void Validate_TruncatedSignature_IsRefused()
    {
        var token = Sign(Header("ES256", "ec-1"), Claims(Now), Es256(_ec));
        Assert.Equal(AuthRefusal.BadSignature, Validate(JwksModel(), token[..^4]));
        var hmac = Sign(Header("HS256"), Claims(Now), Hmac(HmacSecret));
        Assert.Equal(AuthRefusal.BadSignature, Validate(HmacModel(), hmac[..^4]));
    }

    [Fact]
    public void Validate_EmptySignature_IsRefused() =>
        Assert.Equal(AuthRefusal.BadSignature, Validate(HmacModel(), B64(Header("HS256")) + "." + B64(Claims(Now)) + "."));

    public static TheoryData<string> MalformedTokens()
    {
        var header = B64(Header("HS256"));
        var claims = B64(Claims(Now));
        var sig = B64(new byte[32]);
        return
        [
            "abc",
            header + "." + claims,
            header + "." + claims + "." + sig + "." + sig,
            "." + claims + "." + sig,
            header + ".." + sig,
            header + "=." + claims + "." + sig,
            B64("not json") + "." + claims + "." + sig,
            B64("[1,2]") + "." + claims + "." + sig,
            B64("{\"typ\":\"JWT\"}") + "." + claims + "." + sig,
            B64("{\"alg\":\"HS256\",\"alg\":\"none\"}") + "." + claims + "." + sig,
            B64("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}") + "." + claims + "." + sig,
            B64("{\"alg\":\"HS256\"} {}") + "." + claims + "." + sig,
            B64("{\"alg\":5}") + "." + claims + "." + sig,
        ];
    }

    [Theory]
    [MemberData(nameof(MalformedTokens))]
    public void Validate_MalformedToken_IsRefused(string token) =>
        Assert.Equal(AuthRefusal.TokenMalformed, Validate(HmacModel(), token));

    [Fact]
    public void Validate_SignedPayloadNotBase64url_IsRefused()
    {
        var input = B64(Header("HS256")) + "." + B64(Claims(Now)) + "*";
        var token = input + "." + B64(Hmac(HmacSecret)(Encoding.ASCII.GetBytes(input)));
        Assert.Equal(AuthRefusal.TokenMalformed, Validate(HmacModel(), token));
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("{\"exp\":\"tomorrow\"}")]
    [InlineData("{\"exp\":4102444800,\"exp\":1}")]
    [InlineData("{\"exp\":4102444800,\"sub\":{\"id\":1}}")]
    [InlineData("{\"exp\":4102444800,\"aud\":5}")]
    [InlineData("{\"exp\":4102444800,\"aud\":[\"a\",5]}")]
    [InlineData("{\"exp\":4102444800,\"iss\":[\"a\"]}")]
    [InlineData("{\"exp\":4102444800} x")]
    public void Validate_MalformedClaims_AreRefusedAfterTheSignature(string claims) =>
        Assert.Equal(AuthRefusal.TokenMalformed, Validate(HmacModel(), Sign(Header("HS256"), claims, Hmac(HmacSecret))));

    [Fact]
    public void Validate_Oversized_IsRefusedBeforeDecoding()
    {
        var token = Sign(Header("HS256"), Claims(Now, $"\"pad\":\"{new string('x', 300)}\""), Hmac(HmacSecret));
        Assert.Equal(AuthRefusal.TokenTooLarge, Validate(HmacModel(maxTokenBytes: 256), token));
        Assert.Equal(AuthRefusal.None, Validate(HmacModel(maxTokenBytes: token.Length), token));
    }

    [Fact]
    public void Validate_Expiry_HonoursLeeway()
    {
        var token = Sign(Header("HS256"), $"{{\"exp\":{Now.ToUnixTimeSeconds()}}}", Hmac(HmacSecret));
        var model = HmacModel(leeway: TimeSpan.FromSeconds(30));
        Assert.Equal(AuthRefusal.None, Validate(model, token, Now.AddSeconds(29)));
        Assert.Equal(AuthRefusal.Expired, Validate(model, token, Now.AddSeconds(30)));
        Assert.Equal(AuthRefusal.Expired, Validate(model, token, Now.AddHours(1)));
        Assert.Equal(AuthRefusal.Expired, Validate(HmacModel(leeway: TimeSpan.Zero), token, Now));
    }

    [Fact]
    public void Validate_NotBefore_HonoursLeeway()
    {
        var token = Sign(Header("HS256"), $"{{\"exp\":{Now.AddHours(2).ToUnixTimeSeconds()},\"nbf\":{Now.AddMinutes(1).ToUnixTimeSeconds()}}}", Hmac(HmacSecret));
        var model = HmacModel(leeway: TimeSpan.FromSeconds(30));
        Assert.Equal(AuthRefusal.NotYetValid, Validate(model, token, Now));
        Assert.Equal(AuthRefusal.None, Validate(model, token, Now.AddSeconds(30)));
    }

    [Fact]
    public void Validate_NoExpiry_IsRefused() =>
        Assert.Equal(AuthRefusal.NoExpiry, Validate(HmacModel(), Sign(Header("HS256"), "{\"sub\":\"alice\"}", Hmac(HmacSecret))));

    [Fact]
    public void Validate_Issuer_MustMatchExactly()
    {
        var model = HmacModel(issuer: "https://issuer.example");
        Assert.Equal(AuthRefusal.None, Validate(model, HmacToken(Now, "\"iss\":\"https://issuer.example\"")));
        Assert.Equal(AuthRefusal.WrongIssuer, Validate(model, HmacToken(Now, "\"iss\":\"https://issuer.example/\"")));
        Assert.Equal(AuthRefusal.WrongIssuer, Validate(model, HmacToken(Now, "\"sub\":\"alice\"")));
    }

    [Fact]
    public void Validate_Audience_StringOrListMustNameOne()
    {
        var model = HmacModel(audiences: ["api", "admin"]);
        Assert.Equal(AuthRefusal.None, Validate(model, HmacToken(Now, "\"aud\":\"admin\"")));
        Assert.Equal(AuthRefusal.None, Validate(model, HmacToken(Now, "\"aud\":[\"other\",\"api\"]")));
        Assert.Equal(AuthRefusal.WrongAudience, Validate(model, HmacToken(Now, "\"aud\":\"other\"")));
        Assert.Equal(AuthRefusal.WrongAudience, Validate(model, HmacToken(Now, "\"aud\":[]")));
        Assert.Equal(AuthRefusal.WrongAudience, Validate(model, HmacToken(Now, "\"sub\":\"alice\"")));
    }

    [Fact]
    public void Validate_EscapedClaims_AreComparedUnescaped() =>
        Assert.Equal(AuthRefusal.None, Validate(HmacModel(issuer: "https://i", audiences: ["api"]),
            HmacToken(Now, "\"iss\":\"https:\\/\\/i\",\"aud\":\"\\u0061pi\"")));

    /// <summary>One validator and its keys serve every connection's thread at once.</summary>
    [Fact]
    public void Validate_FromManyThreadsAtOnce_AgreesEveryTime()
    {
        var validator = new JwtValidator(JwksModel());
        var tokens = new[]
        {
            Encoding.ASCII.GetBytes(Sign(Header("RS256", "rsa-1"), Claims(Now), Rs256(_rsa))),
            Encoding.ASCII.GetBytes(Sign(Header("ES256", "ec-1"), Claims(Now), Es256(_ec))),
        };
        // One signature character changed, well inside the signature, so the decoded bytes differ.
        var forged = Encoding.ASCII.GetBytes(Sign(Header("RS256", "rsa-1"), Claims(Now), Rs256(_rsa)));
        forged[^50] = forged[^50] == (byte)'A' ? (byte)'B' : (byte)'A';
        var wrong = 0;
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var token = i % 3 == 2 ? forged : tokens[i % 2];
            var buffer = new byte[token.Length];
            var expected = i % 3 == 2 ? AuthRefusal.BadSignature : AuthRefusal.None;
            if (validator.Validate(token, Now.ToUnixTimeSeconds(), buffer, out _) != expected)
            {
                Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
    }

    /// <summary>Many signatures, so r and s of every shape (high bit set, leading zero bytes) are verified.</summary>
    [Fact]
    public void Validate_ManyEs256Signatures_AllVerifyAndTamperedOnesFail()
    {
        var model = JwksModel();
        for (var i = 0; i < 400; i++)
        {
            var token = Sign(Header("ES256", "ec-1"), Claims(Now, $"\"sub\":\"u{i}\""), Es256(_ec));
            Assert.Equal(AuthRefusal.None, Validate(model, token));
            var parts = token.Split('.');
            var signature = Base64Url.DecodeFromChars(parts[2]);
            signature[i % 64] ^= 1;
            Assert.Equal(AuthRefusal.BadSignature, Validate(model, parts[0] + "." + parts[1] + "." + B64(signature)));
        }
    }
}
