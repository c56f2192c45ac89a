using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class HealthCheckerTests
{
    // Checks are on real loopback sockets; the waits are bounds for a loaded machine, not expectations.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static HealthCheckModel Http(string path = "/healthz", TimeSpan? interval = null, TimeSpan? timeout = null) => new()
    {
        Path = path,
        Interval = interval ?? TimeSpan.FromMilliseconds(20),
        Timeout = timeout ?? TimeSpan.FromSeconds(5),
        Jitter = TimeSpan.Zero,
    };

    private static HealthCheckModel Tcp(TimeSpan? interval = null) => new()
    {
        Interval = interval ?? TimeSpan.FromMilliseconds(20),
        Timeout = TimeSpan.FromSeconds(5),
        Jitter = TimeSpan.Zero,
    };

    private static EndpointState Endpoint(IPEndPoint address, string? hostHeader = null) =>
        new(new EndpointModel { Address = address.ToString(), EndPoint = address, HostHeader = hostHeader ?? address.ToString() }, SocketConnector.Default);

    private static Cluster Cluster(HealthCheckModel? health, params EndpointState[] endpoints)
    {
        var model = new ClusterModel { Name = "a", Endpoints = endpoints.Select(endpoint => endpoint.Model).ToArray(), Health = health };
        return new Cluster(model, endpoints, LoadBalancingPolicies.Create(model));
    }

    private static IPEndPoint ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>Checks one endpoint at <paramref name="address"/> until it has reported <paramref name="count"/> results.</summary>
    private static async Task<HealthCheckResult[]> CheckAsync(IPEndPoint address, HealthCheckModel health, int count)
    {
        var endpoint = Endpoint(address);
        var results = new Results();
        using var checker = new HealthChecker(new GatewayLog(TextWriter.Null), results.Report);
        checker.Update([Cluster(health, endpoint)]);
        return await results.WaitForAsync(endpoint, count);
    }

    [Fact]
    public async Task Update_HealthPathAnswers503_ReportsFailedChecks()
    {
        await using var origin = new Origin("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        var seen = await CheckAsync(origin.EndPoint, Http(), 3);

        Assert.All(seen, result => Assert.False(result.Passed));
        Assert.Equal("status 503", seen[0].Detail);
    }

    [Fact]
    public async Task Update_HealthPathAnswers200_ReportsPassedChecks()
    {
        await using var origin = new Origin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        var seen = await CheckAsync(origin.EndPoint, Http(), 3);

        Assert.All(seen, result => Assert.True(result.Passed));
    }

    [Fact]
    public async Task Update_StatusOutsideExpectedStatuses_Fails()
    {
        await using var origin = new Origin("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var seen = await CheckAsync(origin.EndPoint, Http() with { ExpectedStatuses = [new StatusRange(204, 204)] }, 1);

        Assert.False(seen[0].Passed);
        Assert.Equal("status 200", seen[0].Detail);
    }

    [Fact]
    public async Task Update_HttpCheck_SendsPathHostAndUserAgent()
    {
        await using var origin = new Origin("HTTP/1.1 204 No Content\r\n\r\n");
        var endpoint = Endpoint(origin.EndPoint, hostHeader: "api.internal:8080");
        var withHost = Endpoint(origin.EndPoint, hostHeader: "ignored");
        var results = new Results();
        using var checker = new HealthChecker(new GatewayLog(TextWriter.Null), results.Report);

        checker.Update([Cluster(Http("/status?deep=1", interval: TimeSpan.FromHours(1)), endpoint)]);
        await results.WaitForAsync(endpoint, 1);
        checker.Update([Cluster(Http("/ready", interval: TimeSpan.FromHours(1)) with { Host = "health.example" }, withHost)]);
        await results.WaitForAsync(withHost, 1);

        var requests = origin.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal("GET /status?deep=1 HTTP/1.1\r\nHost: api.internal:8080\r\nUser-Agent: fastgate-health-check\r\nConnection: close\r\n\r\n", requests[0]);
        Assert.StartsWith("GET /ready HTTP/1.1\r\nHost: health.example\r\n", requests[1]);
    }

    [Theory]
    [InlineData("HTTP/1.1 OK\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    public async Task Update_MalformedStatusLine_Fails(string response)
    {
        await using var origin = new Origin(response);
        var seen = await CheckAsync(origin.EndPoint, Http(), 1);

        Assert.False(seen[0].Passed);
        Assert.Equal("malformed status line", seen[0].Detail);
    }

    [Fact]
    public async Task Update_ServerClosesWithoutAnswering_Fails()
    {
        await using var origin = new Origin("");
        var seen = await CheckAsync(origin.EndPoint, Http(), 1);

        Assert.False(seen[0].Passed);
        Assert.Equal("closed before the status line", seen[0].Detail);
    }

    [Fact]
    public async Task Update_ServerNeverAnswers_FailsOnTimeout()
    {
        await using var origin = new Origin(response: null);
        var seen = await CheckAsync(origin.EndPoint, Http(timeout: TimeSpan.FromMilliseconds(200)), 2);

        Assert.All(seen, result => Assert.False(result.Passed));
        Assert.Equal("timed out after 200 ms", seen[0].Detail);
    }

    [Fact]
    public async Task Update_TcpCheckToListeningPort_Passes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var seen = await CheckAsync((IPEndPoint)listener.LocalEndpoint, Tcp(), 2);

        Assert.All(seen, result => Assert.True(result.Passed));
    }

    [Fact]
    public async Task Update_TcpCheckToClosedPort_Fails()
    {
        var seen = await CheckAsync(ClosedPort(), Tcp(), 2);

        Assert.All(seen, result => Assert.False(result.Passed));
        Assert.Equal("connection refused", seen[0].Detail);
    }

    [Fact]
    public void Update_ClusterWithoutHealth_ChecksNothing()
    {
        var endpoint = Endpoint(ClosedPort());
        using var checker = new HealthChecker(new GatewayLog(TextWriter.Null), (_, _) => { });

        checker.Update([Cluster(null, endpoint)]);

        Assert.Equal(0, checker.Count);
    }

    [Fact]
    public async Task Update_RepeatedReloads_KeepTheScheduleOfEndpointsThatStay()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var staying = Endpoint((IPEndPoint)listener.LocalEndpoint);
        var added = Endpoint(ClosedPort());
        var results = new Results();
        using var checker = new HealthChecker(new GatewayLog(TextWriter.Null), results.Report);
        var hourly = Tcp(interval: TimeSpan.FromHours(1));
        checker.Update([Cluster(hourly, staying)]);
        await results.WaitForAsync(staying, 1);

        // Each reload builds new cluster objects around the same endpoint states.
        for (var i = 0; i < 50; i++)
        {
            checker.Update([Cluster(hourly, staying)]);
        }
        checker.Update([Cluster(hourly, staying, added)]);
        await results.WaitForAsync(added, 1);

        Assert.Single(results.Of(staying));
        Assert.Equal(2, checker.Count);
    }

    [Fact]
    public async Task Update_ShorterInterval_TakesEffectWithoutWaitingOutTheOldOne()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = Endpoint((IPEndPoint)listener.LocalEndpoint);
        var results = new Results();
        using var checker = new HealthChecker(new GatewayLog(TextWriter.Null), results.Report);
        checker.Update([Cluster(Tcp(interval: TimeSpan.FromHours(1)), endpoint)]);
        await results.WaitForAsync(endpoint, 1);

        checker.Update([Cluster(Tcp(interval: TimeSpan.FromMilliseconds(20)), endpoint)]);

        await results.WaitForAsync(endpoint, 4);
    }

    [Fact]
    public async Task Update_EndpointRemoved_StopsCheckingIt()
    {
        var removed = Endpoint(ClosedPort());
        var staying = Endpoint(ClosedPort());
        var results = new Results();
        using var checker = new HealthChecker(new GatewayLog(TextWriter.Null), results.Report);
        checker.Update([Cluster(Tcp(), removed, staying)]);
        await results.WaitForAsync(removed, 2);

        checker.Update([Cluster(Tcp(), staying)]);
        var atRemoval = results.Of(removed).Length;
        var stayingAtRemoval = results.Of(staying).Length;
        await results.WaitForAsync(staying, stayingAtRemoval + 5);

        // A check already running when the endpoint left may still report; nothing after it.
        Assert.InRange(results.Of(removed).Length, atRemoval, atRemoval + 1);
        Assert.Equal(1, checker.Count);
    }

    [Fact]
    public async Task Dispose_StopsEveryCheck()
    {
        var endpoint = Endpoint(ClosedPort());
        var results = new Results();
        var checker = new HealthChecker(new GatewayLog(TextWriter.Null), results.Report);
        checker.Update([Cluster(Tcp(), endpoint)]);
        await results.WaitForAsync(endpoint, 2);

        checker.Dispose();
        var atDispose = results.Of(endpoint).Length;
        checker.Update([Cluster(Tcp(), endpoint)]);
        await Task.Delay(200);

        Assert.Equal(atDispose, results.Of(endpoint).Length);
        Assert.Equal(0, checker.Count);
    }

    [Fact]
    public async Task Update_ResultChanges_LogsOncePerChange()
    {
        await using var origin = new Origin("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        var endpoint = Endpoint(origin.EndPoint);
        var log = new StringWriter();
        var results = new Results();
        using var checker = new HealthChecker(new GatewayLog(log), results.Report);
        checker.Update([Cluster(Http(), endpoint)]);
        await results.WaitForAsync(endpoint, 3);

        origin.Response = "HTTP/1.1 200 OK\r\n\r\n";
        await results.WaitUntilAsync(endpoint, seen => seen.Length > 3 && seen[^1].Passed && seen[^2].Passed);

        string[] lines;
        lock (log)
        {
            lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        Assert.Equal(2, lines.Length);
        Assert.Contains($"health check: cluster 'a' endpoint {endpoint.Address} fails: status 503", lines[0]);
        Assert.Contains($"health check: cluster 'a' endpoint {endpoint.Address} passes: status 200", lines[1]);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\n", 200)]
    [InlineData("HTTP/1.0 503 Service Unavailable\r\n", 503)]
    [InlineData("HTTP/1.1 204\r\n", 204)]
    [InlineData("HTTP/1.1 404 \n", 404)]
    public void TryParseStatusLine_ValidLine_ReturnsStatus(string line, int expected)
    {
        Assert.True(HealthCheckProbe.TryParseStatusLine(Encoding.ASCII.GetBytes(line), out var status));
        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData("HTTP/2 200 OK\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n")]
    [InlineData("http/1.1 200 OK\r\n")]
    [InlineData("HTTP/1.1  200 OK\r\n")]
    public void TryParseStatusLine_InvalidLine_ReturnsFalse(string line)
    {
        Assert.False(HealthCheckProbe.TryParseStatusLine(Encoding.ASCII.GetBytes(line), out _));
    }

    /// <summary>The results each endpoint's checks reported, in order.</summary>
    private sealed class Results
    {
        private readonly ConcurrentDictionary<EndpointState, ConcurrentQueue<HealthCheckResult>> _byEndpoint = new();

        public void Report(EndpointState endpoint, HealthCheckResult result) =>
            _byEndpoint.GetOrAdd(endpoint, _ => new ConcurrentQueue<HealthCheckResult>()).Enqueue(result);

        public HealthCheckResult[] Of(EndpointState endpoint) =>
            _byEndpoint.TryGetValue(endpoint, out var results) ? results.ToArray() : [];

        public Task<HealthCheckResult[]> WaitForAsync(EndpointState endpoint, int count) =>
            WaitUntilAsync(endpoint, seen => seen.Length >= count);

        public async Task<HealthCheckResult[]> WaitUntilAsync(EndpointState endpoint, Func<HealthCheckResult[], bool> done)
        {
            var started = Stopwatch.GetTimestamp();
            while (true)
            {
                var seen = Of(endpoint);
                if (done(seen))
                {
                    return seen;
                }
                if (Stopwatch.GetElapsedTime(started) > Patience)
                {
                    throw new TimeoutException($"{endpoint.Address}: {seen.Length} result(s) after {Patience}: {string.Join(", ", seen)}");
                }
                await Task.Delay(10);
            }
        }
    }

    /// <summary>
    /// A loopback server that reads each request head and answers <see cref="Response"/> (raw bytes,
    /// then closes), or with a null response holds the connection open without a word.
    /// </summary>
    private sealed class Origin : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private volatile string? _response;

        public Origin(string? response)
        {
            _response = response;
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public string? Response
        {
            get => _response;
            set => _response = value;
        }

        public ConcurrentQueue<string> Requests { get; } = new();

        private async Task AcceptAsync()
        {
            var connections = new List<Task>();
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    connections.Add(ServeAsync(socket));
                }
            }
            catch (OperationCanceledException)
            {
            }
            await Task.WhenAll(connections);
        }

        private async Task ServeAsync(Socket socket)
        {
            using (socket)
            {
                try
                {
                    var buffer = new byte[8192];
                    var length = 0;
                    while (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0 && length < buffer.Length)
                    {
                        var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }
                        length += read;
                    }
                    Requests.Enqueue(Encoding.ASCII.GetString(buffer, 0, length));
                    if (_response is not { } response)
                    {
                        await Task.Delay(Timeout.Infinite, _stop.Token);
                        return;
                    }
                    await socket.SendAsync(Encoding.ASCII.GetBytes(response), SocketFlags.None, _stop.Token);
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}
