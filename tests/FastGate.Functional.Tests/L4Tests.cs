using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// tcp and tls-passthrough listeners with the real daemon, real sockets and real TLS endpoints:
/// bytes both ways, half-close, idle timeout, failing and balanced upstreams, SNI routing that
/// never terminates TLS, and bad hellos that close only their own connection.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class L4Tests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // The loop transport splices a tunnel's two sockets; the portable one pumps through its pipes.
    private static bool Portable => string.Equals(Environment.GetEnvironmentVariable("FASTGATE_TRANSPORT"), "portable", StringComparison.Ordinal);

    private static string TcpConfig(string endpoints, string listener = "", string cluster = "") => $$"""
        [admin]
        listen = "{admin}"

        [[listener]]
        name = "tcp"
        listen = "{listen}"
        protocol = "tcp"
        cluster = "up"
        {{listener}}

        [cluster.up]
        endpoints = [{{endpoints}}]
        {{cluster}}
        """;

    private static string PassthroughConfig(string a, string b, string listener = "") => $$"""
        [admin]
        listen = "{admin}"

        [[listener]]
        name = "sni"
        listen = "{listen}"
        protocol = "tls-passthrough"
        cluster = "a"
        {{listener}}
        [[listener.sni_route]]
        names = ["b.example.com", "*.b.example.com"]
        cluster = "b"

        [cluster.a]
        endpoints = ["{{a}}"]
        [cluster.b]
        endpoints = ["{{b}}"]
        """;

    [Fact]
    public async Task Tcp_BytesBothWays_EchoedAndCounted()
    {
        await using var upstream = L4TestServer.Echo();
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\""));
        using var client = await ConnectAsync(gateway.Port);

        await client.SendAsync("hello through L4"u8.ToArray());
        Assert.Equal("hello through L4", Encoding.ASCII.GetString(await ReceiveExactlyAsync(client, 16)));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await ReceiveToEndAsync(client));

        // Two connections: the start-up probe (connected and closed at once) and this one.
        var metrics = await WaitForMetricAsync(gateway, "fastgate_l4_connection_duration_seconds_count{listener=\"tcp\"}", 2);
        Assert.Equal(2, FastGateProcess.Metric(metrics, "fastgate_l4_connections_total{listener=\"tcp\"}"));
        Assert.Equal(16, FastGateProcess.Metric(metrics, "fastgate_l4_received_bytes_total{listener=\"tcp\"}"));
        Assert.Equal(16, FastGateProcess.Metric(metrics, "fastgate_l4_sent_bytes_total{listener=\"tcp\"}"));
        Assert.Equal(0, FastGateProcess.Metric(metrics, "fastgate_l4_active_connections{listener=\"tcp\"}"));
        Assert.Equal(Portable ? 0 : 2, FastGateProcess.Metric(metrics, "fastgate_l4_spliced_connections_total{listener=\"tcp\"}"));
    }

    [Fact]
    public async Task Tcp_EightMebibytesBothWays_ArriveIntact()
    {
        await using var upstream = L4TestServer.Echo();
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\""));
        using var client = await ConnectAsync(gateway.Port);
        var data = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);

        // Sending and receiving at once: the echo holds back only what the pipes hold.
        var send = Task.Run(async () =>
        {
            for (var offset = 0; offset < data.Length; offset += 100_000)
            {
                await client.SendAsync(data.AsMemory(offset, Math.Min(100_000, data.Length - offset)));
            }
            client.Shutdown(SocketShutdown.Send);
        });
        var received = await ReceiveToEndAsync(client);
        await send.WaitAsync(Patience);

        Assert.Equal(data.Length, received.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
        // Every byte counted each way, whichever way it moved.
        var metrics = await WaitForMetricAsync(gateway, "fastgate_l4_connection_duration_seconds_count{listener=\"tcp\"}", 2);
        Assert.Equal(data.Length, FastGateProcess.Metric(metrics, "fastgate_l4_received_bytes_total{listener=\"tcp\"}"));
        Assert.Equal(data.Length, FastGateProcess.Metric(metrics, "fastgate_l4_sent_bytes_total{listener=\"tcp\"}"));
        Assert.Equal(Portable ? 0 : 2, FastGateProcess.Metric(metrics, "fastgate_l4_spliced_connections_total{listener=\"tcp\"}"));
    }

    [Fact]
    public async Task Tcp_ClientReadsLate_LargeReplyArrivesIntact()
    {
        // The client reads nothing for a while: the socket buffers toward it fill, the gateway
        // waits for room (it holds back the upstream meanwhile), and nothing is lost or reordered.
        var reply = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);
        await using var upstream = new L4TestServer(async (socket, stream) =>
        {
            await stream.WriteAsync(reply);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\""));
        using var client = await ConnectAsync(gateway.Port);

        await Task.Delay(TimeSpan.FromSeconds(1));
        var received = await ReceiveToEndAsync(client);

        Assert.Equal(reply.Length, received.Length);
        Assert.Equal(SHA256.HashData(reply), SHA256.HashData(received));
    }

    [Fact]
    public async Task Tcp_UpstreamResetsMidStream_ClientClosedAndTheNextConnectionServed()
    {
        // Asked to, the upstream sends part of a reply and resets; otherwise it echoes.
        await using var upstream = new L4TestServer(async (socket, stream) =>
        {
            var buffer = new byte[1024];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                if (buffer.AsSpan(0, read).SequenceEqual("reset"u8))
                {
                    await stream.WriteAsync(new byte[300_000]);
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    return;
                }
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }
        });
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\""));
        using (var client = await ConnectAsync(gateway.Port))
        {
            await client.SendAsync("reset"u8.ToArray());
            var received = await ReceiveToEndAsync(client);
            Assert.True(received.Length <= 300_000, $"{received.Length} bytes from an upstream that sent 300,000");
            Assert.All(received, b => Assert.Equal(0, b));
        }

        using var next = await ConnectAsync(gateway.Port);
        await next.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here", Encoding.ASCII.GetString(await ReceiveExactlyAsync(next, 10)));
        // The start-up probe and the reset one are over; this one is open.
        var metrics = await WaitForMetricAsync(gateway, "fastgate_l4_connection_duration_seconds_count{listener=\"tcp\"}", 2);
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_l4_active_connections{listener=\"tcp\"}"));
    }

    [Fact]
    public async Task Tcp_ClientHalfCloses_StillReceivesTheWholeReply()
    {
        // The server answers only after the client's FIN: how many bytes it got, then a large body.
        var reply = RandomNumberGenerator.GetBytes(1024 * 1024);
        await using var upstream = new L4TestServer(async (socket, stream) =>
        {
            var total = 0;
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                total += read;
            }
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{total}\n"));
            await stream.WriteAsync(reply);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\""));
        using var client = await ConnectAsync(gateway.Port);

        await client.SendAsync(new byte[5000]);
        client.Shutdown(SocketShutdown.Send);
        var received = await ReceiveToEndAsync(client);

        Assert.Equal("5000\n"u8.ToArray(), received[..5]);
        Assert.Equal(reply, received[5..]);
    }

    [Fact]
    public async Task Tcp_UpstreamHalfCloses_ClientMaySendAfterwards()
    {
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = new L4TestServer(async (socket, stream) =>
        {
            await stream.WriteAsync("bye for now"u8.ToArray());
            socket.Shutdown(SocketShutdown.Send);
            var got = new MemoryStream();
            await stream.CopyToAsync(got);
            // The start-up probe's connection closes without a word.
            if (got.Length > 0)
            {
                heard.TrySetResult(Encoding.ASCII.GetString(got.ToArray()));
            }
        });
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\""));
        using var client = await ConnectAsync(gateway.Port);

        // The upstream's FIN reaches the client as the end of its stream...
        Assert.Equal("bye for now", Encoding.ASCII.GetString(await ReceiveToEndAsync(client)));
        // ...and the client's direction still flows until it ends too.
        await client.SendAsync("late words"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("late words", await heard.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task Tcp_NoBytesForIdleTimeout_BothSidesClosed()
    {
        var upstreamClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = new L4TestServer(async (_, stream) =>
        {
            var buffer = new byte[1024];
            try
            {
                while (await stream.ReadAsync(buffer) > 0)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, 1));
                }
            }
            finally
            {
                upstreamClosed.TrySetResult();
            }
        });
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\"", listener: "idle_timeout = \"1s\""));
        using var client = await ConnectAsync(gateway.Port);
        await client.SendAsync("x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await ReceiveExactlyAsync(client, 1));

        Assert.Empty(await ReceiveToEndAsync(client));
        await upstreamClosed.Task.WaitAsync(Patience);
        var metrics = await WaitForMetricAsync(gateway, "fastgate_l4_idle_timeouts_total{listener=\"tcp\"}", 1);
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_l4_idle_timeouts_total{listener=\"tcp\"}"));
    }

    [Fact]
    public async Task Tcp_UpstreamDown_ClientClosedAndConnectFailureCounted()
    {
        var dead = FreePort.Next();
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"127.0.0.1:{dead}\""));
        using var client = await ConnectAsync(gateway.Port);

        Assert.Empty(await ReceiveToEndAsync(client));

        var metrics = await WaitForMetricAsync(gateway, "fastgate_l4_refused_total{listener=\"tcp\",reason=\"connect_failed\"}", 1);
        Assert.True(FastGateProcess.Metric(metrics, "fastgate_l4_connect_failures_total{listener=\"tcp\"}") >= 1, metrics);
    }

    [Fact]
    public async Task Tcp_OneOfTwoUpstreamsDown_EveryConnectionReachesTheLiveOne()
    {
        await using var live = L4TestServer.Echo(greeting: "live\n");
        var dead = FreePort.Next();
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig(
            $"\"127.0.0.1:{dead}\", \"{live.Address}\"", cluster: "lb = \"round_robin\""));

        for (var i = 0; i < 6; i++)
        {
            using var client = await ConnectAsync(gateway.Port);
            Assert.Equal("live\n", Encoding.ASCII.GetString(await ReceiveExactlyAsync(client, 5)));
        }
    }

    [Fact]
    public async Task Tcp_TwoUpstreams_ConnectionsBalancedOverBoth()
    {
        await using var a = L4TestServer.Echo(greeting: "A");
        await using var b = L4TestServer.Echo(greeting: "B");
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{a.Address}\", \"{b.Address}\"", cluster: "lb = \"round_robin\""));

        var seen = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            using var client = await ConnectAsync(gateway.Port);
            seen.Add(Encoding.ASCII.GetString(await ReceiveExactlyAsync(client, 1)));
        }

        Assert.Contains("A", seen);
        Assert.Contains("B", seen);
        Assert.Equal(8, seen.Count(s => s is "A" or "B"));
    }

    [Fact]
    public async Task Tcp_Reload_LiveConnectionKeepsItsUpstreamAndNewOnesTakeTheNewCluster()
    {
        await using var a = L4TestServer.Echo(greeting: "A");
        await using var b = L4TestServer.Echo(greeting: "B");
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{a.Address}\""));
        using var before = await ConnectAsync(gateway.Port);
        Assert.Equal("A", Encoding.ASCII.GetString(await ReceiveExactlyAsync(before, 1)));

        gateway.WriteConfig(TcpConfig($"\"{b.Address}\""));
        gateway.Process.Signal("HUP");
        await WaitForMetricAsync(gateway, "fastgate_reloads_total{result=\"success\"}", 1);

        using var after = await ConnectAsync(gateway.Port);
        Assert.Equal("B", Encoding.ASCII.GetString(await ReceiveExactlyAsync(after, 1)));
        await before.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here", Encoding.ASCII.GetString(await ReceiveExactlyAsync(before, 10)));
    }

    [Fact]
    public async Task Tcp_MaxConnectionsOne_SecondClientWaitsUntilTheFirstCloses()
    {
        await using var upstream = L4TestServer.Echo(greeting: "G");
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\"", listener: "max_connections = 1"));
        var first = await ConnectAsync(gateway.Port);
        Assert.Equal("G", Encoding.ASCII.GetString(await ReceiveExactlyAsync(first, 1)));

        using var second = await ConnectAsync(gateway.Port);
        var greeting = ReceiveExactlyAsync(second, 1);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(greeting.IsCompleted, "the second connection was served while the first was open with max_connections = 1");

        first.Dispose();
        Assert.Equal("G", Encoding.ASCII.GetString(await greeting));
    }

    [Fact]
    public async Task Tcp_ProxyHeaderFromTrustedClient_IsPassedOnToAProxyProtocolCluster()
    {
        // The echo returns the PROXY header line too: what the upstream heard first.
        await using var upstream = L4TestServer.Echo();
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig(
            $"\"{upstream.Address}\"",
            listener: "proxy_protocol = true\nproxy_protocol_from = [\"127.0.0.1/32\"]",
            cluster: "proxy_protocol = \"v1\""));
        using var client = await ConnectAsync(gateway.Port);

        const string sent = "PROXY TCP4 192.0.2.7 198.51.100.1 5555 443\r\nhello";
        await client.SendAsync(Encoding.ASCII.GetBytes(sent));

        // The upstream hears of the client the header named, not of the gateway's peer.
        Assert.Equal(sent, Encoding.ASCII.GetString(await ReceiveExactlyAsync(client, sent.Length)));
    }

    [Fact]
    public async Task Tcp_ProxyProtocolCluster_UpstreamHearsTheClientAddressFirst()
    {
        // The echo returns the PROXY header line too: what the upstream heard first.
        await using var upstream = L4TestServer.Echo();
        await using var gateway = await FastGateProcess.StartAsync(TcpConfig($"\"{upstream.Address}\"", cluster: "proxy_protocol = \"v1\""));
        using var client = await ConnectAsync(gateway.Port);

        await client.SendAsync("x"u8.ToArray());
        var line = new StringBuilder();
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            line.Append((char)(await ReceiveExactlyAsync(client, 1))[0]);
        }

        // The client's own port and the port it reached, on either transport.
        var clientPort = ((System.Net.IPEndPoint)client.LocalEndPoint!).Port;
        Assert.Equal($"PROXY TCP4 127.0.0.1 127.0.0.1 {clientPort} {gateway.Port}\r\n", line.ToString());
        Assert.Equal("x", Encoding.ASCII.GetString(await ReceiveExactlyAsync(client, 1)));
    }

    [Fact]
    public async Task Tcp_Sigterm_ConnectionKeepsForwardingThroughTheDrainThenCloses()
    {
        await using var upstream = L4TestServer.Echo();
        await using var gateway = await FastGateProcess.StartAsync(
            "[defaults]\ndrain_timeout = \"3s\"\n" + TcpConfig($"\"{upstream.Address}\""));
        using var client = await ConnectAsync(gateway.Port);
        await client.SendAsync("one"u8.ToArray());
        Assert.Equal("one", Encoding.ASCII.GetString(await ReceiveExactlyAsync(client, 3)));

        gateway.Process.Signal("TERM");
        await gateway.Process.WaitForLineAsync(l => l.Contains("draining", StringComparison.Ordinal), Patience);
        await client.SendAsync("two"u8.ToArray());
        Assert.Equal("two", Encoding.ASCII.GetString(await ReceiveExactlyAsync(client, 3)));

        Assert.Equal(0, await gateway.Process.WaitForExitAsync(Patience));
        Assert.Empty(await ReceiveToEndAsync(client));
    }

    [Theory]
    [InlineData("a.example.com", "a")]
    [InlineData("b.example.com", "b")]
    [InlineData("deep.b.example.com", "b")]
    [InlineData("unknown.example.org", "a")]
    public async Task Passthrough_ServerName_ReachesTheRoutedUpstreamWithItsOwnCertificate(string serverName, string expected)
    {
        await using var a = L4TestServer.Tls("a", L4TestServer.CreateCertificate("a.example.com"));
        await using var b = L4TestServer.Tls("b", L4TestServer.CreateCertificate("b.example.com"));
        var thumbprints = new Dictionary<string, string>
        {
            ["a"] = a.Certificate!.Thumbprint,
            ["b"] = b.Certificate!.Thumbprint,
        };
        await using var gateway = await FastGateProcess.StartAsync(PassthroughConfig(a.Address, b.Address));

        var (name, seen) = await TlsRoundTripAsync(gateway.Port, serverName);

        Assert.Equal(expected, name);
        // The certificate is the upstream's own: the gateway did not terminate TLS.
        Assert.Equal(thumbprints[expected], seen);
    }

    [Fact]
    public async Task Passthrough_ProxyHeaderBeforeTheHello_RoutedByServerName()
    {
        await using var a = L4TestServer.Tls("a", L4TestServer.CreateCertificate("a.example.com"));
        await using var b = L4TestServer.Tls("b", L4TestServer.CreateCertificate("b.example.com"));
        await using var gateway = await FastGateProcess.StartAsync(PassthroughConfig(a.Address, b.Address,
            listener: "proxy_protocol = true\nproxy_protocol_from = [\"127.0.0.1/32\"]"));
        using var tcp = await ConnectAsync(gateway.Port);

        await tcp.SendAsync("PROXY TCP4 192.0.2.7 198.51.100.1 5555 443\r\n"u8.ToArray());
        using var ssl = await TlsConnectAsync(tcp, "b.example.com");

        Assert.Equal("b", await ReadLineAsync(ssl));
        // The hello the router read went first from the client's pipe, then the sockets were spliced.
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(Portable ? 0 : 1, FastGateProcess.Metric(metrics, "fastgate_l4_spliced_connections_total{listener=\"sni\"}"));
    }

    [Fact]
    public async Task Passthrough_HelloInOneByteWrites_StillRouted()
    {
        await using var a = L4TestServer.Tls("a", L4TestServer.CreateCertificate("a.example.com"));
        await using var b = L4TestServer.Tls("b", L4TestServer.CreateCertificate("b.example.com"));
        await using var gateway = await FastGateProcess.StartAsync(PassthroughConfig(a.Address, b.Address));

        var (name, _) = await TlsRoundTripAsync(gateway.Port, "b.example.com", trickle: true);

        Assert.Equal("b", name);
    }

    [Fact]
    public async Task Passthrough_GarbageAndOversizedHello_CloseOnlyTheirOwnConnection()
    {
        await using var a = L4TestServer.Tls("a", L4TestServer.CreateCertificate("a.example.com"));
        await using var b = L4TestServer.Tls("b", L4TestServer.CreateCertificate("b.example.com"));
        await using var gateway = await FastGateProcess.StartAsync(PassthroughConfig(a.Address, b.Address));
        using var tcp = await ConnectAsync(gateway.Port);
        using var established = await TlsConnectAsync(tcp, "b.example.com");
        Assert.Equal("b", await ReadLineAsync(established));

        using (var garbage = await ConnectAsync(gateway.Port))
        {
            await garbage.SendAsync("GET / HTTP/1.1\r\nHost: b.example.com\r\n\r\n"u8.ToArray());
            Assert.Empty(await ReceiveToEndAsync(garbage));
        }
        using (var oversized = await ConnectAsync(gateway.Port))
        {
            // A handshake record announcing a 64 KiB ClientHello: more than the 16 KiB buffer.
            await oversized.SendAsync(new byte[] { 22, 3, 1, 0x40, 0x00, 1, 0x00, 0xff, 0xff });
            Assert.Empty(await ReceiveToEndAsync(oversized));
        }

        await established.WriteAsync("still working"u8.ToArray());
        var echoed = new byte[13];
        await established.ReadExactlyAsync(echoed).AsTask().WaitAsync(Patience);
        Assert.Equal("still working", Encoding.ASCII.GetString(echoed));
        Assert.Equal("a", (await TlsRoundTripAsync(gateway.Port, "a.example.com")).Name);

        var metrics = await gateway.MetricsAsync();
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_l4_refused_total{listener=\"sni\",reason=\"client_hello_invalid\"}"));
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_l4_refused_total{listener=\"sni\",reason=\"client_hello_oversized\"}"));
    }

    [Fact]
    public async Task Passthrough_HelloNeverCompletes_ClosedAfterHeaderTimeout()
    {
        await using var a = L4TestServer.Tls("a", L4TestServer.CreateCertificate("a.example.com"));
        await using var b = L4TestServer.Tls("b", L4TestServer.CreateCertificate("b.example.com"));
        await using var gateway = await FastGateProcess.StartAsync(PassthroughConfig(a.Address, b.Address, listener: "header_timeout = \"1s\""));
        using var client = await ConnectAsync(gateway.Port);

        await client.SendAsync(new byte[] { 22, 3, 1, 0x01, 0x00, 1 });

        Assert.Empty(await ReceiveToEndAsync(client));
        await WaitForMetricAsync(gateway, "fastgate_l4_refused_total{listener=\"sni\",reason=\"client_hello_timeout\"}", 1);
        Assert.Equal(0, a.Connections + b.Connections);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return socket;
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(Patience);
        for (var offset = 0; offset < count;)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(offset), cts.Token);
            Assert.True(read > 0, $"the stream ended after {offset} of {count} bytes");
            offset += read;
        }
        return buffer;
    }

    /// <summary>Everything until the peer's FIN (a reset counts as the end too).</summary>
    private static async Task<byte[]> ReceiveToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[256 * 1024];
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, cts.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                break;
            }
            if (read == 0)
            {
                break;
            }
            received.Write(buffer, 0, read);
        }
        return received.ToArray();
    }

    private static async Task<string> WaitForMetricAsync(FastGateProcess gateway, string series, double atLeast)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            var metrics = await gateway.MetricsAsync();
            if (FastGateProcess.Metric(metrics, series) >= atLeast)
            {
                return metrics;
            }
            Assert.False(cts.IsCancellationRequested, $"{series} stayed below {atLeast}:\n{metrics}");
            await Task.Delay(100);
        }
    }

    /// <summary>Connects with TLS for <paramref name="serverName"/>; returns the server's first line and the thumbprint of the certificate it showed.</summary>
    private static async Task<(string Name, string Thumbprint)> TlsRoundTripAsync(int port, string serverName, bool trickle = false)
    {
        using var tcp = await ConnectAsync(port);
        string? thumbprint = null;
        using var ssl = await TlsConnectAsync(tcp, serverName, trickle, certificate => thumbprint = certificate.GetCertHashString());
        var name = await ReadLineAsync(ssl);
        await ssl.WriteAsync("ping"u8.ToArray());
        var echoed = new byte[4];
        await ssl.ReadExactlyAsync(echoed).AsTask().WaitAsync(Patience);
        Assert.Equal("ping", Encoding.ASCII.GetString(echoed));
        return (name, thumbprint!);
    }

    private static async Task<SslStream> TlsConnectAsync(Socket socket, string serverName, bool trickle = false, Action<X509Certificate>? seen = null)
    {
        Stream inner = new NetworkStream(socket, ownsSocket: false);
        if (trickle)
        {
            inner = new TrickleStream(inner);
        }
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            // Self-signed test upstreams: what matters is which certificate came, not who signed it.
            seen?.Invoke(certificate!);
            return true;
        });
        using var cts = new CancellationTokenSource(Patience);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = serverName }, cts.Token);
        return ssl;
    }

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        using var cts = new CancellationTokenSource(Patience);
        while (await stream.ReadAsync(one, cts.Token) == 1 && one[0] != (byte)'\n')
        {
            line.Append((char)one[0]);
        }
        return line.ToString();
    }

    /// <summary>Writes its first write (the ClientHello) one byte per send, pausing between bytes so each is a segment of its own; later writes pass through.</summary>
    private sealed class TrickleStream(Stream inner) : Stream
    {
        private bool _trickled;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_trickled)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }
            _trickled = true;
            for (var i = 0; i < buffer.Length; i++)
            {
                await inner.WriteAsync(buffer.Slice(i, 1), cancellationToken);
                await inner.FlushAsync(cancellationToken);
                if (i % 8 == 0)
                {
                    await Task.Delay(1, cancellationToken);
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
