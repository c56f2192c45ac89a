using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// Clusters with <c>tls = true</c> in front of a mock-upstream serving HTTPS with a CA made for
/// the test: what gets through, what is refused and how an operator sees it.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class UpstreamTlsTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly UpstreamTlsFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A gateway whose one route sends everything to cluster "secure" at <paramref name="upstream"/> with <paramref name="tlsKeys"/>.</summary>
    private static Task<FastGateProcess> StartGatewayAsync(MockUpstreamProcess upstream, string tlsKeys, string more = "") =>
        FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            [[route]]
            name = "all"
            path_prefix = "/"
            cluster = "secure"
            [cluster.secure]
            endpoints = ["{{upstream.Address}}"]
            {{tlsKeys}}
            {{more}}
            """);

    private static string TomlPath(string path) => path.Replace("\\", "\\\\");

    /// <summary>A counter of the mock, read straight from it over HTTPS (with the client certificate, for a mock that wants one).</summary>
    private async Task<long> MockStatDirectAsync(MockUpstreamProcess upstream, string name)
    {
        using var pem = X509Certificate2.CreateFromPemFile(_files.ClientCert, _files.ClientKey);
        using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            ClientCertificateOptions = ClientCertificateOption.Manual,
        };
        handler.ClientCertificates.Add(certificate);
        using var direct = new HttpClient(handler) { Timeout = Deadline };
        var stats = await direct.GetStringAsync($"https://{upstream.Address}/__mock/stats");
        return JsonDocument.Parse(stats).RootElement.GetProperty(name).GetInt64();
    }

    private static async Task<long> MockStatAsync(HttpClient throughGateway, string name)
    {
        using var cts = new CancellationTokenSource(Deadline);
        var stats = await throughGateway.GetStringAsync("/__mock/stats", cts.Token);
        return JsonDocument.Parse(stats).RootElement.GetProperty(name).GetInt64();
    }

    [Fact]
    public async Task Requests_GoOverTlsOnFewConnections()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.Ca)}\"");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        for (var i = 0; i < 30; i++)
        {
            using var response = await client.GetAsync("/", cts.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Hello World!", await response.Content.ReadAsStringAsync(cts.Token));
        }

        // Bodies both ways, so the streaming paths run over TLS too.
        var upload = Clients.PatternBytes(1_000_000);
        using (var sink = await client.PostAsync("/sink", new ByteArrayContent(upload), cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, sink.StatusCode);
            var json = JsonDocument.Parse(await sink.Content.ReadAsStringAsync(cts.Token)).RootElement;
            Assert.Equal(upload.Length, json.GetProperty("body_length").GetInt64());
            Assert.Equal(Clients.Sha256Hex(upload), json.GetProperty("body_sha256").GetString());
        }
        var download = await client.GetByteArrayAsync("/bytes/2000000", cts.Token);
        Assert.Equal(2_000_000, download.Length);
        Assert.Equal(Clients.Sha256Hex(Clients.PatternBytes(2_000_000)), Clients.Sha256Hex(download));

        // One client asking in turn needs one upstream connection; a second is tolerated (a
        // connection the upstream closed between requests), not one per request.
        var connections = await MockStatAsync(client, "connections");
        Assert.InRange(connections, 1, 2);
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(connections, FastGateProcess.MetricSum(metrics, "fastgate_upstream_tls_handshakes_total", "cluster=\"secure\"", "result=\"ok\""));
        Assert.Equal(0, FastGateProcess.MetricSum(metrics, "fastgate_upstream_tls_handshakes_total", "cluster=\"secure\"", "result=\"failed\""));
    }

    [Fact]
    public async Task ConcurrentClients_ShareAFewPooledTlsConnections()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.Ca)}\"");
        using var cts = new CancellationTokenSource(Deadline);
        const int ClientCount = 8;
        const int RequestsEach = 25;

        var statuses = await Task.WhenAll(Enumerable.Range(0, ClientCount).Select(async _ =>
        {
            using var client = Clients.Http11(gateway.BaseUri);
            var ok = 0;
            for (var i = 0; i < RequestsEach; i++)
            {
                using var response = await client.GetAsync("/", cts.Token);
                ok += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }
            return ok;
        }));

        Assert.All(statuses, ok => Assert.Equal(RequestsEach, ok));
        using var reader = Clients.Http11(gateway.BaseUri);
        // A client asking in turn needs one upstream connection at a time, taken back from its
        // loop's pool; one per request would be 200. Twice the clients leaves room for reconnects.
        Assert.InRange(await MockStatAsync(reader, "connections"), 1, 2 * ClientCount);
    }

    [Fact]
    public async Task ACertificateFromAnotherCa_Is502AndLoggedAsUntrusted()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.OtherCa)}\"");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await client.GetAsync("/", cts.Token);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var line = await gateway.Process.WaitForLineAsync(l => l.Contains("cause=tls-handshake-failed", StringComparison.Ordinal), Deadline);
        Assert.Contains(" warn ", line);
        Assert.Contains($"endpoint={upstream.Address}", line);
        Assert.Contains("not trusted", line);
        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_upstream_tls_handshakes_total", "cluster=\"secure\"", "result=\"failed\"") >= 1, metrics);
        Assert.Equal(0, await MockStatDirectAsync(upstream, "requests"));
    }

    [Fact]
    public async Task AnSniNameTheCertificateIsNotFor_Is502AndLoggedAsAMismatch()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.Ca)}\"\nsni = \"elsewhere.test\"");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await client.GetAsync("/", cts.Token);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var line = await gateway.Process.WaitForLineAsync(l => l.Contains("cause=tls-handshake-failed", StringComparison.Ordinal), Deadline);
        Assert.Contains("not for 'elsewhere.test'", line);
    }

    [Fact]
    public async Task TheSniNameTheCertificateIsFor_IsAccepted()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.Ca)}\"\nsni = \"{UpstreamTlsFiles.ServerName}\"");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await client.GetAsync("/", cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TlsVerifyFalse_AcceptsAnUntrustedCertificate_AndWarnsAtStart()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.OtherCa)}\"\ntls_verify = false");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await client.GetAsync("/", cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var warning = await gateway.Process.WaitForLineAsync(l => l.Contains("tls_verify = false", StringComparison.Ordinal), Deadline);
        Assert.Contains(" warn ", warning);
        Assert.Contains("'secure'", warning);
    }

    [Fact]
    public async Task AClientCertificate_IsPresentedToAnUpstreamThatRequiresOne()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments(requireClientCertificate: true));
        await using var gateway = await StartGatewayAsync(upstream,
            $"tls = true\nca = \"{TomlPath(_files.Ca)}\"\ntls_cert = \"{TomlPath(_files.ClientCert)}\"\ntls_key = \"{TomlPath(_files.ClientKey)}\"");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await client.GetAsync("/", cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(UpstreamTlsFiles.ClientSubject, Assert.Single(response.Headers.GetValues("x-client-cert-subject")));
    }

    [Fact]
    public async Task WithoutAClientCertificate_AnUpstreamThatRequiresOne_Is502()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments(requireClientCertificate: true));
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.Ca)}\"");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await client.GetAsync("/", cts.Token);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(0, await MockStatDirectAsync(upstream, "requests"));
    }

    [Fact]
    public async Task HealthChecks_GoOverTls()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.Ca)}\"", """
            [cluster.secure.health]
            path = "/healthz"
            interval = "200ms"
            timeout = "200ms"
            """);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        // The mock counts /healthz only when it arrives as HTTP inside TLS.
        while (await MockStatAsync(client, "health_checks") < 2)
        {
            await Task.Delay(100, cts.Token);
        }
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(1, FastGateProcess.MetricSum(metrics, "fastgate_upstream_healthy", "cluster=\"secure\""));
    }

    [Fact]
    public async Task AReload_KeepsPooledConnectionsWhenTheTlsSettingsStay_AndReplacesThemWhenTheyChange()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("secure", 0, _files.MockArguments());
        var keys = $"tls = true\nca = \"{TomlPath(_files.Ca)}\"";
        await using var gateway = await StartGatewayAsync(upstream, keys);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        async Task<double> HandshakesAfterARequestAsync()
        {
            using var response = await client.GetAsync("/", cts.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return FastGateProcess.MetricSum(await gateway.MetricsAsync(), "fastgate_upstream_tls_handshakes_total", "cluster=\"secure\"", "result=\"ok\"");
        }

        async Task<int> ReloadAsync(string tlsKeys)
        {
            var config = File.ReadAllText(gateway.ConfigPath);
            var start = config.IndexOf("tls = true", StringComparison.Ordinal);
            gateway.WriteConfig(config[..start] + tlsKeys + "\n");
            using var reload = await gateway.Admin.PostAsync("/reload", null, cts.Token);
            return (int)reload.StatusCode;
        }

        Assert.Equal(1, await HandshakesAfterARequestAsync());

        Assert.Equal(200, await ReloadAsync(keys));
        Assert.Equal(1, await HandshakesAfterARequestAsync());

        Assert.Equal(200, await ReloadAsync(keys + $"\nsni = \"{UpstreamTlsFiles.ServerName}\""));
        Assert.Equal(2, await HandshakesAfterARequestAsync());

        // A CA file that is gone fails the reload; the running settings keep serving.
        Assert.Equal(422, await ReloadAsync($"tls = true\nca = \"{TomlPath(Path.Combine(_files.Folder, "gone.pem"))}\""));
        Assert.Equal(2, await HandshakesAfterARequestAsync());
    }

    [Fact]
    public async Task AnUpstreamThatSpeaksPlainHttp_Is502AndLogged_AndTheDaemonServesOn()
    {
        await using var upstream = await MockUpstreamProcess.StartAsync("plain");
        await using var gateway = await StartGatewayAsync(upstream, $"tls = true\nca = \"{TomlPath(_files.Ca)}\"");
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync("/", cts.Token);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        var line = await gateway.Process.WaitForLineAsync(l => l.Contains("cause=tls-handshake-failed", StringComparison.Ordinal), Deadline);
        Assert.Contains($"endpoint={upstream.Address}", line);
        using var health = await gateway.Admin.GetAsync("/healthz", cts.Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task AnUpstreamThatNeverAnswersTheHandshake_Is504AfterTheConnectTimeout()
    {
        // Accepts connections (the kernel does, from the backlog) and never says a word.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var gateway = await FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            [[route]]
            name = "all"
            path_prefix = "/"
            cluster = "secure"
            [cluster.secure]
            endpoints = ["127.0.0.1:{{port}}"]
            connect_timeout = "500ms"
            tls = true
            """);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await client.GetAsync("/", cts.Token);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var line = await gateway.Process.WaitForLineAsync(l => l.Contains("upstream failure", StringComparison.Ordinal), Deadline);
        Assert.Contains("cause=connect-timeout", line);
        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_upstream_tls_handshakes_total", "cluster=\"secure\"", "result=\"failed\"") >= 1, metrics);
    }
}
