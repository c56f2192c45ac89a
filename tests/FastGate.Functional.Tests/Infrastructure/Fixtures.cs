namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// One mock upstream and one gateway shared by the tests that only send requests and never
/// change the daemon (no reload, no signal). The config has a route per scenario:
/// <list type="bullet">
/// <item><c>main</c>: the mock's endpoints by exact names, so any other path has no route (404).</item>
/// <item><c>api</c>: <c>/api/</c> prefix, stripped.</item>
/// <item><c>small</c>: <c>/small/</c>, max_body_bytes 1KiB (413).</item>
/// <item><c>slow</c>: <c>/slow/</c>, timeout 1s (504).</item>
/// <item><c>dead</c>: <c>/dead/</c>, a cluster whose endpoint is a closed port (502).</item>
/// </list>
/// A second listener (<see cref="FastGateProcess.Port2"/>) has header_timeout 1s (408), so the
/// main one keeps the default and idle keep-alive clients are not cut off mid-test.
/// </summary>
public sealed class SharedGatewayFixture : IAsyncLifetime
{
    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;

    public MockUpstreamProcess Upstream => _upstream!;
    public FastGateProcess Gateway => _gateway!;

    public static string Config(string upstream, int deadPort) => $$"""
        [admin]
        listen = "{admin}"

        [log]
        access = "off"

        [[listener]]
        name = "web"
        listen = "{listen}"

        [[listener]]
        name = "strict"
        listen = "{listen2}"
        header_timeout = "1s"

        [[route]]
        name = "api"
        path_prefix = "/api/"
        strip_prefix = "/api"
        cluster = "mock"

        [[route]]
        name = "small"
        path_prefix = "/small/"
        strip_prefix = "/small"
        max_body_bytes = "1KiB"
        cluster = "mock"

        [[route]]
        name = "slow"
        path_prefix = "/slow/"
        strip_prefix = "/slow"
        timeout = "1s"
        cluster = "mock"

        [[route]]
        name = "dead"
        path_prefix = "/dead/"
        strip_prefix = "/dead"
        cluster = "dead"

        [[route]]
        name = "maintenance"
        path_prefix = "/maintenance/"
        cluster = "empty"

        [[route]]
        name = "main"
        path_regex = "^/(echo|sink|close|status/|bytes/|chunked/|delay/|headers/|$)"
        cluster = "mock"

        [cluster.mock]
        endpoints = ["{{upstream}}"]

        [cluster.dead]
        endpoints = ["127.0.0.1:{{deadPort}}"]
        connect_timeout = "1s"

        [cluster.empty]
        endpoints = []
        """;

    public async Task InitializeAsync()
    {
        _upstream = await MockUpstreamProcess.StartAsync("a");
        _gateway = await FastGateProcess.StartAsync(Config(_upstream.Address, FreePort.Next()));
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
    }
}

[CollectionDefinition(Name)]
public sealed class SharedGatewayCollection : ICollectionFixture<SharedGatewayFixture>
{
    public const string Name = "shared gateway";
}

/// <summary>
/// Two mock upstreams ("a" and "b") for tests that start a gateway of their own because they
/// signal, reload, stop it, or measure its memory.
/// </summary>
public sealed class UpstreamsFixture : IAsyncLifetime
{
    private MockUpstreamProcess? _a;
    private MockUpstreamProcess? _b;

    public MockUpstreamProcess A => _a!;
    public MockUpstreamProcess B => _b!;

    /// <summary>One listener (with <paramref name="listener"/> keys), one catch-all route to <paramref name="upstream"/>, plus <paramref name="extra"/> TOML.</summary>
    public static string SimpleConfig(string upstream, string extra = "", string defaults = "", string log = "access = \"off\"", string listener = "") =>
        SimpleConfig([upstream], extra, defaults, log, listener);

    /// <summary>As above, with cluster <c>mock</c> balancing over every one of <paramref name="upstreams"/>.</summary>
    public static string SimpleConfig(IEnumerable<string> upstreams, string extra = "", string defaults = "", string log = "access = \"off\"", string listener = "") => $$"""
        [admin]
        listen = "{admin}"

        [log]
        {{log}}

        [defaults]
        {{defaults}}

        [[listener]]
        name = "web"
        listen = "{listen}"
        {{listener}}

        [[route]]
        name = "default"
        path_prefix = "/"
        cluster = "mock"

        [cluster.mock]
        endpoints = [{{string.Join(", ", upstreams.Select(u => $"\"{u}\""))}}]
        {{extra}}
        """;

    public async Task InitializeAsync()
    {
        var a = MockUpstreamProcess.StartAsync("a");
        var b = MockUpstreamProcess.StartAsync("b");
        _a = await a;
        _b = await b;
    }

    public async Task DisposeAsync()
    {
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }
        if (_b is not null)
        {
            await _b.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OwnGatewayCollection : ICollectionFixture<UpstreamsFixture>
{
    public const string Name = "own gateway";
}
