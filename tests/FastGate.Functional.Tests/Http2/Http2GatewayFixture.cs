using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// One mock upstream and one gateway for the HTTP/2 front: listener <c>web</c> (<see cref="FastGateProcess.Port"/>)
/// is plain with h2c = true, listener <c>tls</c> (<see cref="FastGateProcess.Port2"/>) terminates TLS with a
/// test CA's certificate for a.test and the default ALPN (h2, http/1.1). Routes:
/// <c>/mock/</c> to the mock (prefix stripped), <c>/keys/</c> behind api_key auth, <c>/limited/</c> with a
/// rate limit of one request per hour, <c>/dead/</c> to a closed port; anything else has no route.
/// </summary>
public sealed class Http2GatewayFixture : IAsyncLifetime
{
    public const string Key = "h2-test-key-0123456789";

    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-h2-").FullName;
    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;
    private TestPki? _pki;

    public MockUpstreamProcess Upstream => _upstream!;
    public FastGateProcess Gateway => _gateway!;
    public TestPki Pki => _pki!;

    public static string Config(string upstream, int deadPort, TestPki pki) => $$"""
        [admin]
        listen = "{admin}"

        [log]
        access = "access.log"

        [[listener]]
        name = "web"
        listen = "{listen}"
        h2c = true

        [[listener]]
        name = "tls"
        listen = "{listen2}"
        [listener.tls]
        cert = "{{pki.Path("a.pem")}}"
        key = "{{pki.Path("a.key")}}"

        [consumer.alice]
        keys = ["{{Key}}"]

        [[route]]
        name = "mock"
        path_prefix = "/mock/"
        strip_prefix = "/mock"
        cluster = "mock"

        [[route]]
        name = "edits"
        path_prefix = "/edits/"
        strip_prefix = "/edits"
        methods = ["POST"]
        headers = { "x-canary" = "1" }
        cluster = "mock"
        request_headers = { set = { "x-set" = "by-route" }, add = { "x-added" = "${client_ip}" }, remove = ["x-drop"] }

        [[route]]
        name = "keys"
        path_prefix = "/keys/"
        strip_prefix = "/keys"
        cluster = "mock"
        auth = ["api_key"]

        [[route]]
        name = "limited"
        path_prefix = "/limited/"
        strip_prefix = "/limited"
        cluster = "mock"
        rate_limit = { requests = 1, per = "1h", key = "client" }

        [[route]]
        name = "dead"
        path_prefix = "/dead/"
        strip_prefix = "/dead"
        cluster = "dead"

        [cluster.mock]
        endpoints = ["{{upstream}}"]

        [cluster.dead]
        endpoints = ["127.0.0.1:{{deadPort}}"]
        """;

    public async Task InitializeAsync()
    {
        _pki = new TestPki(_directory);
        _pki.Server("a", "a.test", ["a.test"]);
        _upstream = await MockUpstreamProcess.StartAsync("h2-upstream");
        _gateway = await FastGateProcess.StartAsync(Config(_upstream.Address, FreePort.Next(), _pki));
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
        _pki?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>An HttpClient that speaks only HTTP/2 with prior knowledge (h2c) to the plain listener.</summary>
    public HttpClient H2cClient(TimeSpan? timeout = null) => new(new SocketsHttpHandler { UseProxy = false, UseCookies = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{Gateway.Port}"),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = timeout ?? TimeSpan.FromSeconds(60),
    };

    /// <summary>An HttpClient that speaks only HTTP/2 over TLS (ALPN h2) to the TLS listener, as a.test.</summary>
    public HttpClient H2Client(TimeSpan? timeout = null)
    {
        var port = Gateway.Port2;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => Pki.Trusts(certificate),
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = new Uri($"https://a.test:{port}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
    }
}

[CollectionDefinition(Name)]
public sealed class Http2GatewayCollection : ICollectionFixture<Http2GatewayFixture>
{
    public const string Name = "http2 gateway";
}
