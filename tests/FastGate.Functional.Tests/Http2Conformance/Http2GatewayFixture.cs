using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// One mock upstream and two daemons with a plain listener <c>h2</c> that takes h2c with prior
/// knowledge, a catch-all route to the mock:
/// <list type="bullet">
/// <item><see cref="Gateway"/>: every <c>[http2]</c> default (what an independent suite meets),
/// for the RFC 9113 / RFC 7541 cases.</item>
/// <item><see cref="Defense"/>: low limits, so the defense contract can be shown with bounded
/// floods: 8 concurrent streams, a control-frame bucket of 200, 50 premature resets, an 8 KiB
/// header list, a 2 s stall timeout.</item>
/// <item><see cref="Tls"/>: the same listener over TLS (certificate for <c>a.test</c> from
/// <see cref="Pki"/>), where h2 is chosen by ALPN, with every default.</item>
/// </list>
/// </summary>
public sealed class Http2GatewayFixture : IAsyncLifetime
{
    public const string Listener = "h2";

    public const string DefenseLimits = """
        [http2]
        max_concurrent_streams = 8
        max_control_frames_per_second = 200
        max_premature_resets = 50
        max_header_list_size = "8KiB"
        stall_timeout = "2s"
        # Every attack here and its well-behaved bystander come from 127.0.0.1: strikes per
        # address would soon refuse the bystander. AddressStrikeTests covers them on a daemon of its own.
        max_defense_strikes_per_address = 0
        """;

    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;
    private FastGateProcess? _defense;
    private FastGateProcess? _tls;
    private string? _pkiDirectory;
    private TestPki? _pki;

    public MockUpstreamProcess Upstream => _upstream!;
    public FastGateProcess Gateway => _gateway!;
    public FastGateProcess Defense => _defense!;
    public FastGateProcess Tls => _tls!;
    public TestPki Pki => _pki!;

    public static string Config(string upstream, string http2 = "", string listener = "h2c = true") => $$"""
        [admin]
        listen = "{admin}"

        [log]
        access = "off"

        {{http2}}

        [[listener]]
        name = "{{Listener}}"
        listen = "{listen}"
        {{listener}}

        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["{{upstream}}"]
        """;

    public async Task InitializeAsync()
    {
        _upstream = await MockUpstreamProcess.StartAsync("h2");
        _gateway = await FastGateProcess.StartAsync(Config(_upstream.Address));
        _defense = await FastGateProcess.StartAsync(Config(_upstream.Address, DefenseLimits));
        _pkiDirectory = Directory.CreateTempSubdirectory("fastgate-h2-tls-").FullName;
        _pki = new TestPki(_pkiDirectory);
        _pki.Server("a", "a.test", ["a.test"]);
        _tls = await FastGateProcess.StartAsync(Config(_upstream.Address, listener: $"""
            [listener.tls]
            cert = "{_pki.Path("a.pem")}"
            key = "{_pki.Path("a.key")}"
            """));
    }

    public async Task DisposeAsync()
    {
        if (_tls is not null)
        {
            await _tls.DisposeAsync();
        }
        _pki?.Dispose();
        if (_pkiDirectory is not null)
        {
            try
            {
                Directory.Delete(_pkiDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        if (_defense is not null)
        {
            await _defense.DisposeAsync();
        }
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class Http2ConformanceCollection : ICollectionFixture<Http2GatewayFixture>
{
    public const string Name = "http2 conformance";
}
