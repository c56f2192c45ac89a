using System.Security.Cryptography;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// One daemon with a route per auth method in front of one mock upstream, and the keys its tokens
/// are signed with. Secrets reach the daemon through env: and a PEM file, as in production.
/// </summary>
public sealed class AuthGatewayFixture : IAsyncLifetime
{
    public const string AliceKey = "alice-functional-key-0123456789";
    public const string BobKey = "bob-functional-key-9876543210";
    public const string AlicePassword = "wonder:land";
    public const string JwtSecret = "functional-hmac-secret-of-32-bytes-or-more";

    private readonly string _keyFolder = Directory.CreateTempSubdirectory("fastgate-auth-keys-").FullName;
    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;

    public RSA Rsa { get; } = RSA.Create(2048);
    public MockUpstreamProcess Upstream => _upstream!;
    public FastGateProcess Gateway => _gateway!;

    public async Task InitializeAsync()
    {
        var pem = Path.Combine(_keyFolder, "issuer.pem");
        await File.WriteAllTextAsync(pem, Rsa.ExportSubjectPublicKeyInfoPem());
        _upstream = await MockUpstreamProcess.StartAsync("auth-upstream");
        _gateway = await FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"

            [consumer.alice]
            keys = ["env:FASTGATE_TEST_ALICE_KEY"]
            jwt_subject = "alice"
            basic_username = "alice"
            basic_password = "env:FASTGATE_TEST_ALICE_PASSWORD"
            [consumer.alice.limits]
            requests_per_minute = 600
            [consumer.bob]
            keys = ["{{BobKey}}"]

            [[route]]
            name = "keys"
            path_prefix = "/keys/"
            strip_prefix = "/keys"
            cluster = "mock"
            auth = ["api_key"]
            api_key_query = "key"

            [[route]]
            name = "anon"
            path_prefix = "/anon/"
            strip_prefix = "/anon"
            cluster = "mock"
            auth = ["api_key"]
            anonymous = true

            [[route]]
            name = "hs"
            path_prefix = "/hs/"
            strip_prefix = "/hs"
            cluster = "mock"
            auth = ["jwt"]
            [route.jwt]
            secret = "env:FASTGATE_TEST_JWT_SECRET"
            issuer = "https://issuer.test"
            audience = "api"
            claims_to_headers = { sub = "x-user-id", email = "x-user-email" }

            [[route]]
            name = "rs"
            path_prefix = "/rs/"
            strip_prefix = "/rs"
            cluster = "mock"
            auth = ["jwt"]
            [route.jwt]
            public_key = "{{pem}}"
            audience = ["api", "admin"]

            [[route]]
            name = "basic"
            path_prefix = "/basic/"
            strip_prefix = "/basic"
            cluster = "mock"
            auth = ["basic"]

            [[route]]
            name = "open"
            path_prefix = "/"
            cluster = "mock"

            [cluster.mock]
            endpoints = ["{{_upstream.Address}}"]
            """,
            new Dictionary<string, string>
            {
                ["FASTGATE_TEST_ALICE_KEY"] = AliceKey,
                ["FASTGATE_TEST_ALICE_PASSWORD"] = AlicePassword,
                ["FASTGATE_TEST_JWT_SECRET"] = JwtSecret,
            });
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
        Rsa.Dispose();
        Directory.Delete(_keyFolder, recursive: true);
    }
}
