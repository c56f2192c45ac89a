using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// Slow-request protection: a request body or a response read slower than the listener's minimum
/// rate over min_rate_window is cut and counted, a quiet upstream is not the client's fault, and an
/// address over max_connections_per_client has its new connection closed at once.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class SlowClientTests(UpstreamsFixture upstreams)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Post_BodyTrickledAt10BytesPerSecond_Gets408AfterAboutTheWindowAndIsCounted()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "min_rate_window = \"2s\""));
        using var socket = await ConnectAsync(gateway.Port);
        await SendAsync(socket, "POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
        var started = Stopwatch.StartNew();
        var response = ReadHeadAsync(socket);

        // A byte every 100 ms: 10 B/s against the default minimum of 240 B/s.
        using var stop = new CancellationTokenSource(Patience);
        while (!response.IsCompleted && !stop.IsCancellationRequested)
        {
            try
            {
                await socket.SendAsync("a"u8.ToArray(), SocketFlags.None);
            }
            catch (SocketException)
            {
                break;
            }
            await Task.WhenAny(response, Task.Delay(100));
        }

        Assert.StartsWith("HTTP/1.1 408 ", await response.WaitAsync(Patience));
        // The first window is the grace: no verdict before it has passed (less a tick of the timer).
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1.5), Patience);
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_slow_clients_total{listener=\"web\",reason=\"request_body_rate\"}"));
    }

    [Fact]
    public async Task Post_BodyAt2KBPerSecondOverThreeWindows_IsAnsweredByTheUpstream()
    {
        // Windows of 2 s need 480 bytes each; the client sends 4,000. A shorter window would also
        // judge the test process's own stalls on a loaded machine (a second without a byte).
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "min_rate_window = \"2s\""));
        using var socket = await ConnectAsync(gateway.Port);
        const int Pieces = 30;
        await SendAsync(socket, $"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {Pieces * 400}\r\n\r\n");
        for (var i = 0; i < Pieces; i++)
        {
            await Task.Delay(200);
            await SendAsync(socket, new string('b', 400));
        }

        Assert.StartsWith("HTTP/1.1 200 ", await ReadHeadAsync(socket).WaitAsync(Patience));
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(0, FastGateProcess.Metric(metrics, "fastgate_slow_clients_total{listener=\"web\",reason=\"request_body_rate\"}"));
    }

    [Fact]
    public async Task Get_LargeResponseReadAtATrickle_ClosedAndCounted_WhileANormalReaderGetsItAll()
    {
        // 2 s windows: the normal reader may itself stall for a second on a loaded machine.
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "min_rate_window = \"2s\""));

        // A reader at full speed over the same gateway, at the same time, is not touched.
        using var http = Clients.Http11(gateway.BaseUri);
        var normal = http.GetByteArrayAsync("/bytes/20000000");

        // A small receive window so that the proxy's send queue fills soon, then 10 bytes every 200 ms.
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(new IPEndPoint(IPAddress.Loopback, gateway.Port));
        await SendAsync(slow, "GET /bytes/200000000 HTTP/1.1\r\nHost: x\r\n\r\n");
        var buffer = new byte[10];
        var deadline = Stopwatch.StartNew();
        string metrics;
        while (true)
        {
            metrics = await gateway.MetricsAsync();
            if (FastGateProcess.Metric(metrics, "fastgate_slow_clients_total{listener=\"web\",reason=\"response_rate\"}") >= 1)
            {
                break;
            }
            Assert.True(deadline.Elapsed < Patience, "the trickling reader was never cut");
            await slow.ReceiveAsync(buffer, SocketFlags.None);
            await Task.Delay(200);
        }

        // What the kernel still held goes out before the end: drained at full speed, the end comes.
        using var drain = new CancellationTokenSource(Patience);
        var chunk = new byte[256 * 1024];
        try
        {
            while (await slow.ReceiveAsync(chunk, SocketFlags.None, drain.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // A reset is an end too.
        }

        Assert.Equal(20_000_000, (await normal.WaitAsync(Patience)).Length);
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_slow_clients_total{listener=\"web\",reason=\"response_rate\"}"));
    }

    [Fact]
    public async Task Get_EventStreamQuieterThanTheWindow_IsNotCut()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "min_rate_window = \"1s\""));
        using var http = Clients.Http11(gateway.BaseUri);

        // Events 2.2 s apart: more than two windows of waiting on the upstream, never on the client.
        using var response = await http.GetAsync("/sse?count=3&interval_ms=2200", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var ids = new List<string>();
        while (await reader.ReadLineAsync().WaitAsync(Patience) is { } line)
        {
            if (line.StartsWith("id:", StringComparison.Ordinal))
            {
                ids.Add(line[3..].Trim());
            }
        }

        Assert.Equal(["1", "2", "3"], ids);
        var metrics = await gateway.MetricsAsync();
        Assert.Equal(0, FastGateProcess.MetricSum(metrics, "fastgate_slow_clients_total"));
    }

    [Fact]
    public async Task Connect_OverTheCapPerClient_ClosedAtOnceOnHttpAndTcp_AndAcceptedAgainOnceOneCloses()
    {
        await using var echo = L4TestServer.Echo();
        var config = UpstreamsFixture.SimpleConfig(upstreams.A.Address, listener: "max_connections_per_client = 3", extra: $$"""
            [[listener]]
            name = "tcp"
            listen = "{listen2}"
            protocol = "tcp"
            cluster = "echo"
            max_connections_per_client = 3

            [cluster.echo]
            endpoints = ["{{echo.Address}}"]
            """);
        await using var gateway = await FastGateProcess.StartAsync(config);

        await CheckCapAsync(gateway.Port, HttpRoundTripAsync);
        await CheckCapAsync(gateway.Port2, EchoRoundTripAsync);

        var metrics = await gateway.MetricsAsync();
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_client_connection_cap_total{listener=\"web\"}"));
        Assert.Equal(1, FastGateProcess.Metric(metrics, "fastgate_client_connection_cap_total{listener=\"tcp\"}"));
    }

    /// <summary>Three connections served, the fourth closed unread; after one of the three closes, a new one is served.</summary>
    private static async Task CheckCapAsync(int port, Func<Socket, Task<bool>> roundTrip)
    {
        var open = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var socket = await ConnectAsync(port);
                open.Add(socket);
                Assert.True(await roundTrip(socket), $"connection {i + 1} of 3 was not served");
            }

            using (var fourth = await ConnectAsync(port))
            {
                Assert.True(await IsClosedByPeerAsync(fourth), "the connection over the cap was not closed");
            }

            open[0].Dispose();
            open.RemoveAt(0);
            // The close reaches the gateway on its own time: a new connection is served once it has.
            var served = false;
            var patience = Stopwatch.StartNew();
            while (!served && patience.Elapsed < Patience)
            {
                await Task.Delay(100);
                using var again = await ConnectAsync(port);
                served = await roundTrip(again);
            }
            Assert.True(served, "no connection was served after one of the three closed");
        }
        finally
        {
            foreach (var socket in open)
            {
                socket.Dispose();
            }
        }
    }

    private static async Task<bool> HttpRoundTripAsync(Socket socket)
    {
        try
        {
            await SendAsync(socket, "GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n");
            return (await ReadHeadAsync(socket).WaitAsync(TimeSpan.FromSeconds(10))).StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }

    private static async Task<bool> EchoRoundTripAsync(Socket socket)
    {
        try
        {
            await SendAsync(socket, "ping");
            var buffer = new byte[4];
            var read = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (read < 4)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    return false;
                }
                read += n;
            }
            return Encoding.ASCII.GetString(buffer) == "ping";
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }

    private static async Task<bool> IsClosedByPeerAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    internal static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    internal static async Task SendAsync(Socket socket, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>Reads until a response head is whole (or the connection ends) and returns what came.</summary>
    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (SocketException)
            {
                break;
            }
            if (read == 0)
            {
                break;
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return received.ToString();
    }
}
