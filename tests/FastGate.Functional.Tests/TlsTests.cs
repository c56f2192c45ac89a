using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests;

/// <summary>
/// TLS termination on an http listener, with the clients operators use (openssl s_client, curl,
/// HttpClient) and certificates made by a test CA.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class TlsTests(UpstreamsFixture upstreams, ITestOutputHelper output) : IDisposable
{
    private readonly TempPki _files = new("fastgate-tls-");

    private TestPki Pki => _files.Pki;

    public void Dispose() => _files.Dispose();

    /// <summary>A listener serving a.test by default and b.test (and *.wild.test) by SNI; <paramref name="tls"/> adds keys.</summary>
    private string Config(string tls = "", string log = "access = \"off\"")
    {
        Pki.Server("a", "a.test", ["a.test"]);
        Pki.Server("b", "b.test", ["b.test"], ecdsa: true);
        return UpstreamsFixture.SimpleConfig(upstreams.A.Address, log: log, listener: $"""
            [listener.tls]
            cert = "{Pki.Path("a.pem")}"
            key = "{Pki.Path("a.key")}"
            {tls}
            [[listener.tls.sni]]
            names = ["b.test", "*.wild.test"]
            cert = "{Pki.Path("b.pem")}"
            key = "{Pki.Path("b.key")}"
            """);
    }

    private HttpClient HttpsClient(FastGateProcess gateway, string host = "a.test", TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, gateway.Port), cancellationToken);
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
            BaseAddress = new Uri($"https://{host}:{gateway.Port}"),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>openssl s_client: a handshake (and, with <paramref name="request"/>, one exchange); the whole transcript.</summary>
    private static Task<(int ExitCode, string Output)> OpenSslAsync(FastGateProcess gateway, string? request, params string[] args) =>
        TlsOpenSslClient.RunAsync(gateway.Port, request, args);

    private Task<(int ExitCode, string Output)> CurlAsync(FastGateProcess gateway, string host, params string[] args) =>
        CommandLineTool.RunAsync("curl", null, ["--max-time", "20", "--noproxy", "*", "-sS", "--cacert", Pki.CaPath,
            "--resolve", $"{host}:{gateway.Port}:127.0.0.1", .. args]);

    private static string Get(string path, string host = "a.test") => TlsOpenSslClient.Get(path, host);

    private static JsonElement EchoedHeaders(string body)
    {
        var json = body[body.IndexOf('{')..];
        return JsonDocument.Parse(json).RootElement.GetProperty("headers");
    }

    [Fact]
    public async Task HttpClient_OverHttps_UpstreamSeesHttpsAndNoForgedCertificateHeaders()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        using var client = HttpsClient(gateway);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo");
        request.Headers.Add("X-Client-Cert-Subject", "CN=forged");
        request.Headers.Add("X-Client-Cert-Fingerprint", "00");
        request.Headers.Add("x-client-cert-verified", "SUCCESS");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers");
        Assert.Equal("https", headers.GetProperty("x-forwarded-proto").GetString());
        Assert.False(headers.TryGetProperty("x-client-cert-subject", out _));
        Assert.False(headers.TryGetProperty("x-client-cert-fingerprint", out _));
        Assert.False(headers.TryGetProperty("x-client-cert-verified", out _));

        // Keep-alive over TLS: more requests on the connection, bodies both ways.
        for (var i = 0; i < 5; i++)
        {
            using var sink = await client.PostAsync("/sink", new ByteArrayContent(Clients.PatternBytes(200_000)));
            var result = JsonDocument.Parse(await sink.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(200_000, result.GetProperty("body_length").GetInt64());
        }
        using var large = await client.GetAsync("/bytes/3000000");
        Assert.Equal(3_000_000, (await large.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task ProxyHeaderThenTls_HeadersSourceIsTheClientUpstreamSees()
    {
        Pki.Server("a", "a.test", ["a.test"]);
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, log: "access = \"off\"", listener: $"""
            proxy_protocol = true
            proxy_protocol_from = ["127.0.0.1/32"]
            [listener.tls]
            cert = "{Pki.Path("a.pem")}"
            key = "{Pki.Path("a.key")}"
            """));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, gateway.Port));
        // The PROXY header comes in clear, before the ClientHello, as a load balancer in front sends it.
        await socket.SendAsync("PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n"u8.ToArray());
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "a.test",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => Pki.Trusts(certificate),
        });
        await tls.WriteAsync("GET /echo HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"u8.ToArray());
        using var reader = new StreamReader(tls);
        var response = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 200", response);
        var headers = JsonDocument.Parse(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement.GetProperty("headers");
        Assert.Equal("203.0.113.7", headers.GetProperty("x-forwarded-for").GetString());
        Assert.Equal("https", headers.GetProperty("x-forwarded-proto").GetString());
    }

    [Fact]
    public async Task Sni_PicksCertificateByExactWildcardOrDefault()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());

        foreach (var (serverName, subject) in new[] { ("a.test", "CN = a.test"), ("b.test", "CN = b.test"), ("x.wild.test", "CN = b.test"),
                     ("a.b.wild.test", "CN = a.test"), ("unknown.test", "CN = a.test") })
        {
            var (_, transcript) = await OpenSslAsync(gateway, "", "-servername", serverName);
            Assert.Contains($"subject={subject}", transcript);
        }
        var (_, noSni) = await OpenSslAsync(gateway, "", "-noservername");
        Assert.Contains("subject=CN = a.test", noSni);
    }

    [Fact]
    public async Task Curl_TwoHostnamesOnOnePort_EachVerifiesItsOwnCertificate()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());

        foreach (var host in new[] { "a.test", "b.test" })
        {
            var (exit, body) = await CurlAsync(gateway, host, "-v", $"https://{host}:{gateway.Port}/");
            Assert.True(exit == 0, body);
            Assert.Contains($"subject: CN={host}", body);
            // The default alpn offers h2 first, which curl takes.
            Assert.Contains("ALPN: server accepted h2", body);
            Assert.Contains("Hello World!", body);
        }
    }

    [Fact]
    public async Task Versions_Tls12And13Served_Tls11Refused_AlpnHttp11()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());

        var (_, tls12) = await OpenSslAsync(gateway, Get("/"), "-tls1_2", "-servername", "a.test", "-alpn", "http/1.1");
        Assert.Contains("Protocol  : TLSv1.2", tls12);
        Assert.Contains("ALPN protocol: http/1.1", tls12);
        Assert.Contains("Hello World!", tls12);
        var (_, tls13) = await OpenSslAsync(gateway, Get("/"), "-tls1_3", "-servername", "a.test", "-alpn", "http/1.1");
        Assert.Contains("New, TLSv1.3", tls13);
        Assert.Contains("Hello World!", tls13);
        var (exit11, tls11) = await OpenSslAsync(gateway, "", "-tls1_1", "-servername", "a.test");
        Assert.NotEqual(0, exit11);
        Assert.DoesNotContain("Hello World!", tls11);

        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_tls_sessions_total", "listener=\"web\"", "version=\"TLSv1.2\"") >= 1, metrics);
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_tls_sessions_total", "listener=\"web\"", "version=\"TLSv1.3\"") >= 1, metrics);
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_tls_handshakes_total", "listener=\"web\"", "result=\"failed\"") >= 1, metrics);
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_tls_handshake_seconds_count", "listener=\"web\"") >= 3, metrics);
    }

    [Fact]
    public async Task MinVersion13_RefusesTls12()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config("min_version = \"1.3\""));

        var (exit12, _) = await OpenSslAsync(gateway, "", "-tls1_2", "-servername", "a.test");
        var (_, tls13) = await OpenSslAsync(gateway, Get("/"), "-tls1_3", "-servername", "a.test");

        Assert.NotEqual(0, exit12);
        Assert.Contains("Hello World!", tls13);
    }

    [Fact]
    public async Task SessionResumption_Tls12AndTls13_ResumeASession()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        var session = Path.Combine(_files.Directory, "session.pem");

        foreach (var version in new[] { "-tls1_2", "-tls1_3" })
        {
            File.Delete(session);
            // The request keeps s_client until the server's answer, after TLS 1.3's tickets arrive.
            var (_, first) = await OpenSslAsync(gateway, Get("/"), version, "-servername", "a.test", "-sess_out", session);
            var (_, second) = await OpenSslAsync(gateway, Get("/"), version, "-servername", "a.test", "-sess_in", session);
            Assert.Contains("New,", first);
            Assert.Contains("Reused,", second);
            Assert.Contains("Hello World!", second);
        }
    }

    [Fact]
    public async Task ClientAuthRequired_VerifiedCertificateReachesUpstream_OthersRefused()
    {
        var config = Config($"client_auth = \"required\"\nclient_ca = \"{Pki.CaPath}\"");
        var client = Pki.Client("client", "CN=client one, O=Acme");
        using var rogueCa = new TestPki(_files.Directory, "Rogue CA");
        rogueCa.Client("rogue", "CN=rogue");
        await using var gateway = await FastGateProcess.StartAsync(config);

        var (exit, body) = await CurlAsync(gateway, "a.test", "--cert", Pki.Path("client.pem"), "--key", Pki.Path("client.key"),
            "-H", "X-Client-Cert-Subject: CN=forged", $"https://a.test:{gateway.Port}/echo");
        Assert.True(exit == 0, body);
        var headers = EchoedHeaders(body);
        Assert.Equal("SUCCESS", headers.GetProperty("x-client-cert-verified").GetString());
        Assert.Equal(client.Subject, headers.GetProperty("x-client-cert-subject").GetString());
        Assert.Equal(Convert.ToHexStringLower(client.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)),
            headers.GetProperty("x-client-cert-fingerprint").GetString());
        Assert.Equal("https", headers.GetProperty("x-forwarded-proto").GetString());

        var (noCertExit, noCert) = await CurlAsync(gateway, "a.test", $"https://a.test:{gateway.Port}/echo");
        Assert.NotEqual(0, noCertExit);
        Assert.DoesNotContain("\"headers\"", noCert);
        var (rogueExit, rogue) = await CurlAsync(gateway, "a.test", "--cert", Pki.Path("rogue.pem"), "--key", Pki.Path("rogue.key"),
            $"https://a.test:{gateway.Port}/echo");
        Assert.NotEqual(0, rogueExit);
        Assert.DoesNotContain("\"headers\"", rogue);

        // The CA names go out in the certificate request.
        var (_, transcript) = await OpenSslAsync(gateway, "", "-servername", "a.test");
        Assert.Contains("Acceptable client certificate CA names", transcript);
        Assert.Contains("CN = FastGate Test CA", transcript);
    }

    [Fact]
    public async Task ClientAuthOptional_ServesWithAndWithoutCertificate()
    {
        var config = Config($"client_auth = \"optional\"\nclient_ca = \"{Pki.CaPath}\"");
        Pki.Client("client", "CN=client two");
        await using var gateway = await FastGateProcess.StartAsync(config);

        var (exit, body) = await CurlAsync(gateway, "a.test", "-H", "X-Client-Cert-Verified: SUCCESS", $"https://a.test:{gateway.Port}/echo");
        Assert.True(exit == 0, body);
        var anonymous = EchoedHeaders(body);
        Assert.Equal("NONE", anonymous.GetProperty("x-client-cert-verified").GetString());
        Assert.False(anonymous.TryGetProperty("x-client-cert-subject", out _));

        var (certExit, certBody) = await CurlAsync(gateway, "a.test", "--cert", Pki.Path("client.pem"), "--key", Pki.Path("client.key"),
            $"https://a.test:{gateway.Port}/echo");
        Assert.True(certExit == 0, certBody);
        var verified = EchoedHeaders(certBody);
        Assert.Equal("SUCCESS", verified.GetProperty("x-client-cert-verified").GetString());
        Assert.Equal("CN=client two", verified.GetProperty("x-client-cert-subject").GetString());
    }

    [Fact]
    public async Task PlainListener_DropsClientCertificateHeaders()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address));
        using var client = Clients.Http11(gateway.BaseUri);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo");
        request.Headers.Add("X-Client-Cert-Subject", "CN=forged");

        using var response = await client.SendAsync(request);

        var headers = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers");
        Assert.False(headers.TryGetProperty("x-client-cert-subject", out _));
        Assert.Equal("http", headers.GetProperty("x-forwarded-proto").GetString());
    }

    [Fact]
    public async Task BadHandshakes_CloseOnlyTheirConnection()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config("handshake_timeout = \"1s\""));
        using var client = HttpsClient(gateway);
        using var before = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        // Plain HTTP instead of a ClientHello.
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")));
        // Random bytes.
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, Enumerable.Range(0, 600).Select(i => (byte)(i * 37)).ToArray()));
        // A handshake record that announces more than it carries, then silence: the timeout closes it.
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
        // Nothing at all.
        Assert.True(await ServerClose.AfterSendingAsync(gateway.Port, []));

        using var after = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        using var fresh = HttpsClient(gateway);
        using var third = await fresh.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        var metrics = await gateway.MetricsAsync();
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_tls_handshakes_total", "result=\"failed\"") >= 2, metrics);
        Assert.True(FastGateProcess.MetricSum(metrics, "fastgate_tls_handshakes_total", "result=\"timeout\"") >= 2, metrics);
        Assert.False(gateway.Process.HasExited);
    }

    [Fact]
    public async Task CertificateReload_UnderLoad_NewHandshakesGetNewCertificate_NoRequestFails()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failures = new List<string>();
        long ok = 0;
        // Each loop opens a new connection now and then, so handshakes go on through the reloads.
        var loops = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = HttpsClient(gateway, timeout: TimeSpan.FromSeconds(20));
                for (var i = 0; i < 20 && !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var response = await client.GetAsync("/", stop.Token);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            Interlocked.Increment(ref ok);
                        }
                        else
                        {
                            lock (failures) { failures.Add(((int)response.StatusCode).ToString()); }
                        }
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                    }
                    catch (HttpRequestException ex)
                    {
                        lock (failures) { failures.Add(ex.ToString()); }
                    }
                }
            }
        })).ToArray();

        // A new certificate for a.test, then a reload: new handshakes get it.
        await Task.Delay(500);
        Pki.Server("a", "a.test reloaded", ["a.test"]);
        using (var reload = await gateway.Admin.PostAsync("/reload", null))
        {
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        }
        Assert.Contains("subject=CN = a.test reloaded", (await OpenSslAsync(gateway, "", "-servername", "a.test")).Output);

        // A key that does not match: the reload fails, naming the file, and the last good one serves.
        await Task.Delay(500);
        File.Copy(Pki.Path("b.key"), Pki.Path("a.key"), overwrite: true);
        using (var refused = await gateway.Admin.PostAsync("/reload", null))
        {
            var text = await refused.Content.ReadAsStringAsync();
            Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains(Pki.Path("a.key"), text);
        }
        Assert.Contains("subject=CN = a.test reloaded", (await OpenSslAsync(gateway, "", "-servername", "a.test")).Output);

        // Files replaced on disk without a reload: the listener notices them.
        await Task.Delay(500);
        Pki.Server("a", "a.test from disk", ["a.test"]);
        using (var watch = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (!(await OpenSslAsync(gateway, "", "-servername", "a.test")).Output.Contains("subject=CN = a.test from disk"))
            {
                await Task.Delay(200, watch.Token);
            }
        }
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        output.WriteLine($"{Interlocked.Read(ref ok)} requests, {failures.Count} failed");
        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref ok) > 20, $"only {ok} requests completed");
        Assert.False(gateway.Process.HasExited);
    }
}
