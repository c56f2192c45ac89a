using System.Net;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class ConfigLoaderTests
{
    // The contract's example, on loopback addresses.
    private const string FullConfig = """
        [admin]
        listen = "127.0.0.1:9901"
        token = "admin-secret"

        [log]
        level = "debug"
        access = "off"

        [defaults]
        max_header_bytes = "16KiB"
        max_headers = 50
        header_timeout = "5s"
        idle_timeout = "1m30s"
        max_body_bytes = "8MiB"
        drain_timeout = "10s"
        max_request_line_bytes = "4KiB"

        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"
        protocol = "http"
        backlog = 1024
        max_connections = 10000
        idle_timeout = "2m"

        [[listener]]
        name = "db"
        listen = "[::1]:5432"
        protocol = "tcp"
        cluster = "postgres"

        [[route]]
        name = "api"
        listener = "web"
        host = ["API.example.com", "*.example.org"]
        path_prefix = "/api/"
        methods = ["get", "POST"]
        headers = { "X-Canary" = "1" }
        cluster = "backend"
        strip_prefix = "/api"
        timeout = "30s"

        [[route]]
        name = "legacy"
        path_regex = "^/v[0-9]+/"
        cluster = "backend"
        max_body_bytes = 1024

        [[route]]
        name = "health"
        path = "/healthz"
        cluster = "backend"

        [cluster.backend]
        endpoints = ["127.0.0.1:9001", "127.0.0.1:9002"]
        lb = "least_request"
        connect_timeout = "2s"
        max_idle_connections = 16
        idle_timeout = "30s"

        [[cluster.backend.endpoint]]
        address = "localhost:9003"
        weight = 3

        [cluster.backend.health]
        path = "/ready"
        interval = "2s"

        [cluster.postgres]
        endpoints = ["db.internal:5432"]
        """;

    // Reads the contract's example as the loader sees it, apart from what this version refuses to serve.
    private static ConfigLoadResult Load(string text) => ConfigLoader.LoadFromText(text, "test.toml");

    [Fact]
    public void LoadFromText_FullConfig_BuildsExpectedModel()
    {
        var result = Load(FullConfig);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Errors);
        var model = result.Model;
        Assert.Equal(Path.GetFullPath("test.toml"), model.SourcePath);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9901), model.Admin.Endpoint);
        Assert.Equal("admin-secret", model.Admin.Token);
        Assert.Equal(LogLevel.Debug, model.Log.Level);
        Assert.Null(model.Log.Access);

        var defaults = new LimitsModel
        {
            MaxHeaderBytes = 16 * 1024,
            MaxHeaders = 50,
            HeaderTimeout = TimeSpan.FromSeconds(5),
            IdleTimeout = TimeSpan.FromSeconds(90),
            MaxBodyBytes = 8L * 1024 * 1024,
            DrainTimeout = TimeSpan.FromSeconds(10),
            MaxRequestLineBytes = 4 * 1024,
        };
        Assert.Equal(defaults, model.Defaults);

        Assert.Equal(2, model.Listeners.Count);
        var web = model.Listeners[0];
        Assert.Equal("web", web.Name);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), web.Endpoint);
        Assert.Equal(ListenerProtocol.Http, web.Protocol);
        Assert.Null(web.Cluster);
        Assert.Equal(1024, web.Backlog);
        Assert.Equal(10000, web.MaxConnections);
        Assert.Equal(defaults with { IdleTimeout = TimeSpan.FromMinutes(2) }, web.Limits);
        Assert.Null(web.Tls);
        var db = model.Listeners[1];
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 5432), db.Endpoint);
        Assert.Equal(ListenerProtocol.Tcp, db.Protocol);
        Assert.Equal("postgres", db.Cluster);
        Assert.Equal(511, db.Backlog);
        Assert.Equal(0, db.MaxConnections);
        Assert.Equal(defaults, db.Limits);

        Assert.Equal(3, model.Routes.Count);
        var api = model.Routes[0];
        Assert.Equal("api", api.Name);
        Assert.Equal(0, api.Order);
        Assert.Equal(["web"], api.Listeners);
        Assert.Equal(["api.example.com", "*.example.org"], api.Hosts);
        Assert.Equal(PathMatchKind.Prefix, api.PathKind);
        Assert.Equal("/api/", api.Path);
        Assert.Equal(["GET", "POST"], api.Methods);
        Assert.Equal([new KeyValuePair<string, string>("x-canary", "1")], api.Headers);
        Assert.Equal("backend", api.Cluster);
        Assert.Equal("/api", api.StripPrefix);
        Assert.Equal(TimeSpan.FromSeconds(30), api.Timeout);
        Assert.Equal(8L * 1024 * 1024, api.MaxBodyBytes);
        var legacy = model.Routes[1];
        Assert.Equal(1, legacy.Order);
        Assert.Empty(legacy.Listeners);
        Assert.Empty(legacy.Hosts);
        Assert.Empty(legacy.Methods);
        Assert.Equal(PathMatchKind.Regex, legacy.PathKind);
        Assert.Equal("^/v[0-9]+/", legacy.Path);
        Assert.Equal(1024, legacy.MaxBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(60), legacy.Timeout);
        Assert.Null(legacy.StripPrefix);
        Assert.Equal(PathMatchKind.Exact, model.Routes[2].PathKind);
        Assert.Equal("/healthz", model.Routes[2].Path);

        Assert.Equal(2, model.Clusters.Count);
        var backend = model.Clusters["backend"];
        Assert.Equal("backend", backend.Name);
        Assert.Equal(LoadBalancingAlgorithm.LeastRequest, backend.LoadBalancing);
        Assert.Equal(TimeSpan.FromSeconds(2), backend.ConnectTimeout);
        Assert.Equal(16, backend.MaxIdleConnections);
        Assert.Equal(TimeSpan.FromSeconds(30), backend.IdleTimeout);
        Assert.Equal("/ready", backend.Health!.Path);
        Assert.Equal(TimeSpan.FromSeconds(2), backend.Health.Interval);
        Assert.Equal(["127.0.0.1:9001", "127.0.0.1:9002", "localhost:9003"], backend.Endpoints.Select(e => e.Address));
        Assert.Equal([1, 1, 3], backend.Endpoints.Select(e => e.Weight));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9003), backend.Endpoints[2].EndPoint);
        Assert.Equal("localhost:9003", backend.Endpoints[2].HostHeader);
        var postgres = model.Clusters["postgres"];
        Assert.Equal(new DnsEndPoint("db.internal", 5432), postgres.Endpoints[0].EndPoint);
        Assert.Equal(LoadBalancingAlgorithm.PeakEwma, postgres.LoadBalancing);
        Assert.Null(postgres.Health);
        Assert.Equal(64, postgres.MaxIdleConnections);
    }

    [Fact]
    public void LoadFromText_MinimalConfig_UsesDefaults()
    {
        var result = Load("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var model = result.Model;
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9901), model.Admin.Endpoint);
        Assert.Null(model.Admin.Token);
        Assert.Equal(new LogModel(), model.Log);
        Assert.Equal(new LimitsModel(), model.Defaults);
        Assert.Equal(8 * 1024, model.Defaults.MaxRequestLineBytes);
        Assert.Empty(model.Routes);
        Assert.Empty(model.Clusters);
    }

    [Fact]
    public void LoadFromText_ClusterWithExplicitlyEmptyEndpoints_IsValid()
    {
        var result = Load("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.maintenance]
            endpoints = []
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Model.Clusters["maintenance"].Endpoints);
    }

    [Fact]
    public void LoadFromText_EmptyAdminListen_UsesDefault()
    {
        var result = Load("""
            [admin]
            listen = ""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9901), result.Model.Admin.Endpoint);
    }

    [Fact]
    public void LoadFromText_NonLoopbackAdminWithToken_IsValid()
    {
        var result = Load("""
            [admin]
            listen = "0.0.0.0:9901"
            token = "t"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void LoadFromText_AccessLogPath_IsResolvedAgainstConfigFolder()
    {
        var result = ConfigLoader.LoadFromText("""
            [log]
            access = "logs/access.log"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """, Path.Combine("conf", "fastgate.toml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(Path.GetFullPath(Path.Combine("conf", "logs", "access.log")), result.Model.Log.Access);
    }

    [Fact]
    public void LoadFromText_TokenFromEnvironment_IsResolved()
    {
        var name = "FASTGATE_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            var result = Load($"""
                [admin]
                token = "env:{name}"
                [[listener]]
                name = "web"
                listen = "127.0.0.1:8080"
                """);

            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            Assert.Equal("from-env", result.Model.Admin.Token);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void LoadFromText_SecretKeys_AreRedactedInText()
    {
        var result = Load("""
            [admin]
            token = "admin-secret" # keep this comment
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            cluster = "c"
            headers = { password = "hunter2", "x-a" = "visible" }
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var text = result.Model.RedactedText;
        Assert.DoesNotContain("admin-secret", text);
        Assert.DoesNotContain("hunter2", text);
        Assert.Contains("token = \"[redacted]\" # keep this comment", text);
        Assert.Contains("password = \"[redacted]\"", text);
        Assert.Contains("\"x-a\" = \"visible\"", text);
    }

    [Fact]
    public void LoadFromText_Tls_ParsesShapeAndResolvesFiles()
    {
        using var files = new Tls.TestCertificates();
        files.Write("site", "site.test", ["site.test"]);
        files.Write("other", "other.test", ["www.example.com"]);
        var directory = files.Directory;

        var result = ConfigLoader.LoadFromText("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8443"
            [listener.tls]
            cert = "site.pem"
            key = "site.key"
            alpn = ["http/1.1"]
            [[listener.tls.sni]]
            names = ["*.Example.com"]
            cert = "other.pem"
            key = "other.key"
            """, Path.Combine(directory, "fastgate.toml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var tls = result.Model.Listeners[0].Tls;
        Assert.NotNull(tls);
        Assert.Equal(Path.Combine(directory, "site.pem"), tls.CertPath);
        Assert.Equal(Path.Combine(directory, "site.key"), tls.KeyPath);
        Assert.Equal(["http/1.1"], tls.Alpn);
        var sni = Assert.Single(tls.Sni);
        Assert.Equal(["*.example.com"], sni.Names);
        Assert.Equal(Path.Combine(directory, "other.pem"), sni.CertPath);
        Assert.DoesNotContain("site.key", result.Model.RedactedText);
    }

    [Fact]
    public void Load_MissingFile_ReportsCannotRead()
    {
        var path = Path.Combine(Path.GetTempPath(), "fastgate-missing-" + Guid.NewGuid().ToString("N") + ".toml");

        var result = ConfigLoader.Load(path);

        Assert.False(result.IsValid);
        Assert.Null(result.Model);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith($"{path}:1:1: cannot read file: ", error.ToString());
    }

    [Fact]
    public void Load_ExistingFile_ReadsIt()
    {
        var path = Path.Combine(Path.GetTempPath(), "fastgate-" + Guid.NewGuid().ToString("N") + ".toml");
        File.WriteAllText(path, "[[listener]]\nname = \"web\"\nlisten = \"127.0.0.1:8080\"\n");
        try
        {
            var result = ConfigLoader.Load(path);

            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            Assert.Equal(Path.GetFullPath(path), result.Model.SourcePath);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFromText_TenThousandRoutes_AllocatesFarLessThanASyntaxTree()
    {
        // The shape of bench/route-scale/gen.py. Through Tomlyn's syntax tree a load allocated about
        // 95 bytes per character of such a file (946 MiB for 100,000 routes); the one-pass reader
        // about 16. A bound in between catches a return to a full tree without being brittle.
        var text = new System.Text.StringBuilder("[[listener]]\nname = \"web\"\nlisten = \"127.0.0.1:8080\"\n\n");
        for (int i = 0; i < 10_000; i++)
        {
            text.Append($"[[route]]\nname = \"r{i:D6}\"\nhost = \"t{i % 500:D3}.example.com\"\npath_prefix = \"/v1/r{i:D6}/\"\ncluster = \"c{i % 100:D3}\"\n\n");
        }

        for (int c = 0; c < 100; c++)
        {
            text.Append($"[cluster.c{c:D3}]\nendpoints = [\"127.0.0.1:9001\"]\n\n");
        }

        var toml = text.ToString();
        Load(toml);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = Load(toml);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(result.IsValid, string.Join("\n", result.Errors.Take(3)));
        Assert.Equal(10_000, result.Model.Routes.Count);
        Assert.Same(toml, result.Model.RedactedText);
        Assert.True(allocated < 32L * toml.Length, $"allocated {allocated:N0} bytes for {toml.Length:N0} chars");
    }
}
