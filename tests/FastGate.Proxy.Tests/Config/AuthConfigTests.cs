using System.Security.Cryptography;
using FastGate.Proxy.Config;
using FastGate.Proxy.Tests.Stages.Auth;

namespace FastGate.Proxy.Tests.Config;

/// <summary>[consumer.NAME], a route's auth keys and [route.jwt]: what loads, and each refusal with its position.</summary>
public class AuthConfigTests : IDisposable
{
    private const string Base = """
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"
        [cluster.c]
        endpoints = ["127.0.0.1:9001"]

        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ConfigLoadResult Load(string text) => ConfigLoader.LoadFromText(Base + text, Path.Combine(_folder.Path, "test.toml"));

    private ConfigModel Valid(string text)
    {
        var result = Load(text);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Model;
    }

    /// <summary>The errors with the file name dropped and lines counted from the end of <see cref="Base"/>.</summary>
    private string[] Errors(string text)
    {
        var result = Load(text);
        Assert.False(result.IsValid);
        var baseLines = Base.Split('\n').Length - 1;
        return result.Errors.Select(e => $"{e.Line - baseLines}:{e.Column}: {e.Message}").ToArray();
    }

    private void AssertError(string text, string expected) => Assert.Equal([expected], Errors(text));

    [Fact]
    public void Consumer_AllKeys_AreReadAndCredentialsKeptHashed()
    {
        Environment.SetEnvironmentVariable("FASTGATE_TEST_ALICE_KEY", "alice-env-key");
        try
        {
            var model = Valid("""
                [consumer.alice]
                keys = ["env:FASTGATE_TEST_ALICE_KEY", "alice-literal-key"]
                jwt_subject = "alice-sub"
                basic_username = "alice"
                basic_password = "wonderland"
                [consumer.alice.limits]
                requests_per_minute = 600
                [consumer.bob]
                keys = ["bob-key"]
                """);

            var alice = model.Consumers["alice"];
            Assert.Equal("alice", alice.Name);
            Assert.Equal([CredentialHash.Of("alice-env-key"), CredentialHash.Of("alice-literal-key")], alice.KeyHashes);
            Assert.Equal("alice-sub", alice.JwtSubject);
            Assert.Equal("alice", alice.BasicUsername);
            Assert.Equal(CredentialHash.Of("wonderland"), alice.BasicPasswordHash);
            Assert.Equal(600, alice.RequestsPerMinute);
            Assert.Null(model.Consumers["bob"].RequestsPerMinute);

            Assert.True(model.ConsumerIndex.TryGetByKeyHash(CredentialHash.Of("bob-key"), out var bob));
            Assert.Same(model.Consumers["bob"], bob);
            Assert.True(model.ConsumerIndex.TryGetBySubject("alice-sub", out var bySubject));
            Assert.Same(alice, bySubject);
            Assert.True(model.ConsumerIndex.TryGetByBasicCredentials(CredentialHash.Of("alice"), CredentialHash.Of("wonderland"), out _));
            Assert.False(model.ConsumerIndex.TryGetByBasicCredentials(CredentialHash.Of("alice"), CredentialHash.Of("wrong"), out _));
        }
        finally
        {
            Environment.SetEnvironmentVariable("FASTGATE_TEST_ALICE_KEY", null);
        }
    }

    [Fact]
    public void Consumer_Secrets_AreRedactedInConfigText()
    {
        var model = Valid("""
            [consumer.alice]
            keys = ["alice-literal-key", "second-key"]
            basic_username = "alice"
            basic_password = "wonderland"
            """);

        Assert.DoesNotContain("alice-literal-key", model.RedactedText);
        Assert.DoesNotContain("second-key", model.RedactedText);
        Assert.DoesNotContain("wonderland", model.RedactedText);
        Assert.Contains("keys = \"[redacted]\"", model.RedactedText);
        Assert.Contains("basic_username = \"alice\"", model.RedactedText);
    }

    [Fact]
    public void Consumer_KeyFromFile_IsResolvedAgainstConfigFolder()
    {
        _folder.Write("carol.key", "carol-file-key\n");
        var model = Valid("""
            [consumer.carol]
            keys = ["file:carol.key"]
            """);

        Assert.Equal([CredentialHash.Of("carol-file-key")], model.Consumers["carol"].KeyHashes);
    }

    [Fact]
    public void Consumer_KeyOfAnotherConsumer_IsRefusedWithoutQuotingIt()
    {
        var errors = Errors("""
            [consumer.alice]
            keys = ["shared-key"]
            [consumer.bob]
            keys = ["bob-key", "shared-key"]
            """);

        Assert.Equal(["4:20: this key of consumer 'bob' is already a key of consumer 'alice': a key must name one consumer"], errors);
        Assert.DoesNotContain("shared-key", errors[0]);
    }

    [Fact]
    public void Consumer_SameKeyTwice_IsRefused() =>
        AssertError("""
            [consumer.alice]
            keys = ["k1", "k1"]
            """, "2:15: consumer 'alice' lists the same key twice");

    [Fact]
    public void Consumer_KeyFromUnsetEnvironment_IsRefusedAtItsItem() =>
        AssertError("""
            [consumer.alice]
            keys = ["env:FASTGATE_TEST_NOT_SET_ANYWHERE"]
            """, "2:9: environment variable 'FASTGATE_TEST_NOT_SET_ANYWHERE' is not set in 'keys'");

    [Fact]
    public void Consumer_KeysAsString_IsRefused() =>
        AssertError("""
            [consumer.alice]
            keys = "k1"
            """, "2:8: expected an array of keys like [\"env:ALICE_KEY\"] for 'keys', got string");

    [Fact]
    public void Consumer_UnknownKey_IsReportedWithSuggestion() =>
        AssertError("""
            [consumer.alice]
            keys = ["k1"]
            jwt_subjet = "alice"
            """, "3:1: unknown key 'jwt_subjet' in [consumer.alice]; did you mean 'jwt_subject'?");

    [Fact]
    public void Consumer_WithoutCredential_IsRefused() =>
        AssertError("""
            [consumer.alice]
            [consumer.alice.limits]
            requests_per_minute = 5
            """, "1:1: consumer 'alice' has no credential: set 'keys', 'jwt_subject' or 'basic_username' and 'basic_password'");

    [Theory]
    [InlineData("tokens_per_minute = 100000", "tokens_per_minute")]
    [InlineData("budget_usd = 50", "budget_usd")]
    public void ConsumerLimits_AiLimits_AreNotServedYet(string line, string key) =>
        AssertError($"""
            [consumer.alice]
            keys = ["k1"]
            [consumer.alice.limits]
            {line}
            """, $"4:1: consumer 'alice': '{key}' limits AI routes, which are not served yet; remove it");

    [Fact]
    public void ConsumerLimits_ZeroRequestsPerMinute_IsRefused() =>
        AssertError("""
            [consumer.alice]
            keys = ["k1"]
            [consumer.alice.limits]
            requests_per_minute = 0
            """, "4:23: 'requests_per_minute' must be between 1 and 2147483647, got 0");

    [Fact]
    public void Consumer_BasicUsernameWithoutPassword_IsRefused() =>
        AssertError("""
            [consumer.alice]
            basic_username = "alice"
            """, "2:18: consumer 'alice': 'basic_username' needs 'basic_password'");

    [Fact]
    public void Consumer_BasicPasswordWithoutUsername_IsRefused() =>
        AssertError("""
            [consumer.alice]
            keys = ["k1"]
            basic_password = "pw"
            """, "3:1: consumer 'alice': 'basic_password' needs 'basic_username'");

    [Fact]
    public void Consumer_BasicUsernameWithColon_IsRefused() =>
        AssertError("""
            [consumer.alice]
            basic_username = "al:ice"
            basic_password = "pw"
            """, "2:18: 'basic_username' must be non-empty and must not contain ':'");

    [Fact]
    public void Consumer_DuplicateSubjectAndUser_AreRefusedAtTheSecond() =>
        Assert.Equal(
            [
                "6:15: jwt_subject 'same' is already the subject of consumer 'alice'",
                "7:18: basic_username 'u' is already the user name of consumer 'alice'",
            ],
            Errors("""
                [consumer.alice]
                jwt_subject = "same"
                basic_username = "u"
                basic_password = "p1"
                [consumer.bob]
                jwt_subject = "same"
                basic_username = "u"
                basic_password = "p2"
                """));

    [Fact]
    public void Consumer_InvalidName_IsRefused() =>
        AssertError("""
            [consumer."a b"]
            keys = ["k1"]
            """, "1:11: invalid consumer name 'a b': use 1 to 64 letters, digits, '-', '_' or '.'");

    private const string Consumers = """
        [consumer.alice]
        keys = ["alice-key"]
        basic_username = "alice"
        basic_password = "pw"

        """;

    private const int ConsumerLines = 4;

    private string[] RouteErrors(string route) =>
        Errors(Consumers + route).Select(e => Shift(e, ConsumerLines)).ToArray();

    private static string Shift(string error, int lines)
    {
        var colon = error.IndexOf(':');
        return $"{int.Parse(error[..colon]) - lines}{error[colon..]}";
    }

    private void AssertRouteError(string route, string expected) => Assert.Equal([expected], RouteErrors(route));

    [Fact]
    public void Route_AuthKeys_AreRead()
    {
        var model = Valid(Consumers + """
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["basic", "api_key"]
            anonymous = true
            api_key_header = "X-Custom-Key"
            api_key_query = "key"
            forward_credentials = true
            [[route]]
            name = "open"
            cluster = "c"
            """);

        var auth = model.Routes[0].Auth;
        Assert.NotNull(auth);
        Assert.Equal([AuthMethod.Basic, AuthMethod.ApiKey], auth.Methods);
        Assert.True(auth.Anonymous);
        Assert.Equal("x-custom-key", auth.ApiKeyHeader);
        Assert.Equal("key", auth.ApiKeyQuery);
        Assert.True(auth.ForwardCredentials);
        Assert.Null(auth.Jwt);
        Assert.Null(model.Routes[1].Auth);
    }

    [Fact]
    public void Route_AuthDefaults_AreNotAnonymousAndDropCredentials()
    {
        var auth = Valid(Consumers + """
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["api_key"]
            """).Routes[0].Auth!;

        Assert.False(auth.Anonymous);
        Assert.False(auth.ForwardCredentials);
        Assert.Null(auth.ApiKeyHeader);
        Assert.Null(auth.ApiKeyQuery);
    }

    [Fact]
    public void Route_JwtWithSecret_IsReadWithDefaults()
    {
        var jwt = Valid($$"""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            issuer = "https://issuer.example"
            audience = "api"
            secret = "{{TestJwt.HmacSecret}}"
            claims_to_headers = { sub = "X-User-Id", email = "x-user-email" }
            """).Routes[0].Auth!.Jwt!;

        Assert.Equal("https://issuer.example", jwt.Issuer);
        Assert.Equal(["api"], jwt.Audiences);
        Assert.Equal(JwtAlgorithm.HS256, jwt.Algorithms);
        Assert.Equal(JwtAlgorithm.HS256, Assert.Single(jwt.Keys).Algorithm);
        Assert.Equal(TimeSpan.FromSeconds(30), jwt.Leeway);
        Assert.Equal(8192, jwt.MaxTokenBytes);
        Assert.Equal([new("sub", "x-user-id"), new("email", "x-user-email")], jwt.ClaimsToHeaders);
    }

    [Fact]
    public void Route_JwtWithPemKeys_TakesTheKeyTypesAlgorithm()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _folder.Write("rsa.pem", rsa.ExportSubjectPublicKeyInfoPem());
        _folder.Write("ec.pem", ec.ExportSubjectPublicKeyInfoPem());
        var model = Valid("""
            [[route]]
            name = "rsa"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            public_key = "rsa.pem"
            audience = ["a", "b"]
            leeway = "0s"
            max_token_bytes = "16KiB"
            [[route]]
            name = "ec"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            public_key = "ec.pem"
            algorithms = ["ES256"]
            """);

        var rsaJwt = model.Routes[0].Auth!.Jwt!;
        Assert.Equal(JwtAlgorithm.RS256, rsaJwt.Algorithms);
        Assert.NotNull(Assert.Single(rsaJwt.Keys).Rsa);
        Assert.Equal(["a", "b"], rsaJwt.Audiences);
        Assert.Equal(TimeSpan.Zero, rsaJwt.Leeway);
        Assert.Equal(16384, rsaJwt.MaxTokenBytes);
        var ecJwt = model.Routes[1].Auth!.Jwt!;
        Assert.Equal(JwtAlgorithm.ES256, ecJwt.Algorithms);
        Assert.NotNull(Assert.Single(ecJwt.Keys).Ecdsa);
    }

    [Fact]
    public void Route_JwtWithJwks_ReadsUsableKeysAndSkipsOthers()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _folder.Write("jwks.json", TestJwt.Jwks(
            TestJwt.RsaJwk(rsa, "r1"),
            TestJwt.EcJwk(ec, "e1"),
            """{"kty":"oct","kid":"o1","k":"c2VjcmV0"}""",
            """{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}"""));
        var jwt = Valid("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            jwks = "jwks.json"
            """).Routes[0].Auth!.Jwt!;

        Assert.True(jwt.FromJwks);
        Assert.Equal(["r1", "e1"], jwt.Keys.Select(k => k.Kid));
        Assert.Equal(JwtAlgorithm.RS256 | JwtAlgorithm.ES256, jwt.Algorithms);
    }

    [Fact]
    public void Route_JwtSecret_IsRedacted()
    {
        var model = Valid($$"""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            secret = "{{TestJwt.HmacSecret}}"
            """);

        Assert.DoesNotContain(TestJwt.HmacSecret, model.RedactedText);
    }

    [Fact]
    public void Route_UnknownAuthMethod_IsRefusedWithSuggestion() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["apikey"]
            """, "4:9: invalid auth method 'apikey'; did you mean 'api_key'? expected one of: api_key, jwt, basic");

    [Fact]
    public void Route_EmptyAuth_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = []
            """, "4:8: 'auth' must list at least one of \"api_key\", \"jwt\", \"basic\"; remove it to let anyone in");

    [Fact]
    public void Route_MethodListedTwice_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["basic", "basic"]
            """, "4:18: auth method 'basic' is listed twice");

    [Fact]
    public void Route_ApiKeyWithoutConsumerKeys_IsRefused() =>
        AssertError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["api_key"]
            """, "4:9: route 'api' accepts API keys but no [consumer] has 'keys'");

    [Fact]
    public void Route_BasicWithoutConsumerUsers_IsRefused() =>
        AssertError("""
            [consumer.bob]
            keys = ["b"]
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["basic"]
            """, "6:9: route 'api' accepts basic auth but no [consumer] has 'basic_username'");

    [Theory]
    [InlineData("anonymous = true")]
    [InlineData("forward_credentials = true")]
    [InlineData("api_key_query = \"key\"")]
    public void Route_AuthOnlyKeyWithoutAuth_IsRefused(string line)
    {
        var key = line[..line.IndexOf(' ')];
        AssertRouteError($"""
            [[route]]
            name = "api"
            cluster = "c"
            {line}
            """, $"4:1: route 'api': '{key}' needs 'auth' on the route (e.g. auth = [\"api_key\"])");
    }

    [Fact]
    public void Route_ApiKeyHeaderWithoutApiKey_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["basic"]
            api_key_header = "x-key"
            """, "5:1: 'api_key_header' needs \"api_key\" in 'auth'");

    [Fact]
    public void Route_ApiKeyHeaderAuthorization_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["api_key"]
            api_key_header = "Authorization"
            """, "5:18: 'api_key_header' cannot be 'authorization': a Bearer key is always read from it");

    [Fact]
    public void Route_BadQueryName_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["api_key"]
            api_key_query = "a&b"
            """, "5:17: invalid query parameter name 'a&b' for 'api_key_query': use letters, digits, '-', '_', '.' or '~'");

    [Fact]
    public void Route_JwtWithoutJwtTable_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            """, "4:8: route 'api' accepts JWTs: add [route.jwt] with 'jwks', 'public_key' or 'secret'");

    [Fact]
    public void Route_JwtTableWithoutJwtInAuth_IsRefused() =>
        AssertRouteError($$"""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["api_key"]
            [route.jwt]
            secret = "{{TestJwt.HmacSecret}}"
            """, "5:8: route 'api' has [route.jwt] but 'auth' does not list \"jwt\"");

    [Fact]
    public void Route_JwtWithoutKeySource_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            issuer = "i"
            """, "5:1: route 'api': [route.jwt] needs one of 'jwks', 'public_key' or 'secret'");

    [Fact]
    public void Route_JwtWithTwoKeySources_IsRefused()
    {
        _folder.Write("k.pem", "x");
        AssertRouteError($$"""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            secret = "{{TestJwt.HmacSecret}}"
            public_key = "k.pem"
            """, "7:1: 'public_key' conflicts with 'secret': [route.jwt] takes one of 'jwks', 'public_key' and 'secret'");
    }

    [Fact]
    public void Route_JwtShortSecret_IsRefused() =>
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            secret = "short"
            """, "6:10: 'secret' is 5 bytes; HS256 needs at least 32");

    [Fact]
    public void Route_JwtMissingKeyFile_IsRefused()
    {
        var errors = RouteErrors("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            public_key = "missing.pem"
            """);

        Assert.Equal(["6:14: file not found for 'public_key': " + Path.Combine(_folder.Path, "missing.pem")], errors);
    }

    [Fact]
    public void Route_JwtKeyFileWithoutKey_IsRefused()
    {
        var path = _folder.Write("bad.pem", "not a key");
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            public_key = "bad.pem"
            """, $"6:14: '{path}' holds no RSA or EC key in PEM form (\"-----BEGIN PUBLIC KEY-----\" or a certificate) for 'public_key'");
    }

    [Fact]
    public void Route_JwtWeakRsaKey_IsRefused()
    {
        using var rsa = RSA.Create(1024);
        _folder.Write("weak.pem", rsa.ExportSubjectPublicKeyInfoPem());
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            public_key = "weak.pem"
            """, "6:14: RSA key of 1024 bits is too weak: use at least 2048 for 'public_key'");
    }

    [Fact]
    public void Route_JwtEcKeyOnOtherCurve_IsRefused()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        _folder.Write("p384.pem", ec.ExportSubjectPublicKeyInfoPem());
        var error = Assert.Single(RouteErrors("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            public_key = "p384.pem"
            """));

        Assert.StartsWith("6:14: EC key on curve '", error);
        Assert.EndsWith("' is not served: ES256 needs P-256 for 'public_key'", error);
    }

    [Fact]
    public void Route_JwksNotJson_IsRefused()
    {
        var path = _folder.Write("jwks.json", "{ nope");
        var error = Assert.Single(RouteErrors("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            jwks = "jwks.json"
            """));

        Assert.StartsWith($"6:8: '{path}' is not valid JSON: ", error);
    }

    [Fact]
    public void Route_JwksWithoutUsableKey_IsRefused()
    {
        var path = _folder.Write("jwks.json", TestJwt.Jwks("""{"kty":"oct","k":"c2VjcmV0"}"""));
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            jwks = "jwks.json"
            """, $"6:8: '{path}' has no key usable for RS256 or ES256 signatures (RSA, or EC on P-256) for 'jwks'");
    }

    [Fact]
    public void Route_JwksDuplicateKid_IsRefused()
    {
        using var a = RSA.Create(2048);
        using var b = RSA.Create(2048);
        var path = _folder.Write("jwks.json", TestJwt.Jwks(TestJwt.RsaJwk(a, "k"), TestJwt.RsaJwk(b, "k")));
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            jwks = "jwks.json"
            """, $"6:8: '{path}': two keys have kid 'k' for 'jwks'");
    }

    [Fact]
    public void Route_JwtAlgorithmNone_IsRefused() =>
        AssertRouteError($$"""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            secret = "{{TestJwt.HmacSecret}}"
            algorithms = ["none"]
            """, "7:15: algorithm 'none' accepts unsigned tokens and is never allowed");

    [Fact]
    public void Route_JwtAlgorithmWithoutKeyOfItsType_IsRefused()
    {
        using var rsa = RSA.Create(2048);
        _folder.Write("rsa.pem", rsa.ExportSubjectPublicKeyInfoPem());
        AssertRouteError("""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            public_key = "rsa.pem"
            algorithms = ["RS256", "HS256"]
            """, "7:24: algorithm 'HS256' has no key of its type here (HS256 needs 'secret')");
    }

    [Fact]
    public void Route_JwtClaimIntoFramingHeader_IsRefused() =>
        AssertRouteError($$"""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            secret = "{{TestJwt.HmacSecret}}"
            claims_to_headers = { sub = "Content-Length" }
            """, "7:29: claim 'sub' cannot be copied into 'Content-Length': it frames or routes the request");

    [Fact]
    public void Route_JwtUnknownKey_IsReportedWithSuggestion() =>
        AssertRouteError($$"""
            [[route]]
            name = "api"
            cluster = "c"
            auth = ["jwt"]
            [route.jwt]
            secret = "{{TestJwt.HmacSecret}}"
            audiences = ["a"]
            """, "7:1: unknown key 'audiences' in [route.jwt]; did you mean 'audience'?");
}
