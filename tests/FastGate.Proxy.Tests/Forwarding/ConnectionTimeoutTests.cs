using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FastGate.Core.Transport;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// Deadlines of a whole connection, fired by calling the heartbeat directly (as if its time had
/// come) so nothing waits on a clock.
/// </summary>
public class ConnectionTimeoutTests
{
    private static string Config(string pathPrefix = "/") => TestGateway.OneRouteConfig(pathPrefix);

    private static (InMemoryTransport Client, Http1ProxyConnection Connection) Connect(TestGateway gateway)
    {
        var (client, server) = InMemoryTransport.CreatePair();
        var connection = new Http1ProxyConnection(server, "127.0.0.1"u8.ToArray(), gateway.Gateway, "web", null);
        _ = connection.Start();
        return (client, connection);
    }

    private static async Task SendAsync(InMemoryTransport client, string text)
    {
        client.Output.Write(Encoding.Latin1.GetBytes(text));
        await client.Output.FlushAsync();
    }

    /// <summary>
    /// Fires the connection's deadline from a thread of its own, which then stays alive until
    /// <paramref name="release"/> is set (a thread id can be reused once its thread ends).
    /// </summary>
    private static int FireFromOtherThread(Http1ProxyConnection connection, ManualResetEventSlim release)
    {
        var id = 0;
        using var fired = new ManualResetEventSlim();
        var heartbeat = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            connection.OnHeartbeat(long.MaxValue);
            fired.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        })
        { IsBackground = true };
        heartbeat.Start();
        fired.Wait();
        return id;
    }

    private static async Task<(string Text, int Thread)> ReadOnceAsync(PipeReader input)
    {
        var result = await input.ReadAsync().ConfigureAwait(false);
        // In-memory pipes resume their reader inline, on the thread that wrote: this is the
        // thread the connection's loop ran on when it answered.
        var thread = Environment.CurrentManagedThreadId;
        var text = Encoding.Latin1.GetString(result.Buffer.ToArray());
        input.AdvanceTo(result.Buffer.End);
        return (text, thread);
    }

    [Fact]
    public async Task Heartbeat_HeaderTimeout_AnswersOffTheHeartbeatThread()
    {
        using var gateway = new TestGateway(Config(), new InMemoryOrigin("127.0.0.1:9001"));
        var (client, connection) = Connect(gateway);
        using var _ = client;
        await SendAsync(client, "GET / HTTP/1.1\r\nHost: a\r\n");
        var answer = ReadOnceAsync(client.Input);

        using var release = new ManualResetEventSlim();
        var heartbeatThread = FireFromOtherThread(connection, release);
        var (text, answeredOn) = await answer.WaitAsync(TimeSpan.FromSeconds(10));
        release.Set();

        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", text);
        Assert.NotEqual(heartbeatThread, answeredOn);
    }

    [Fact]
    public async Task Heartbeat_ClientStopsReadingTheEndOfAResponse_ConnectionCloses()
    {
        // The whole response reaches the proxy in one read, so what blocks is the last flush to
        // a client that never reads (in-memory pipes pause the writer at 1 MiB).
        var origin = new InMemoryOrigin("127.0.0.1:9001")
        {
            Respond = _ => "HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n" + new string('x', 3_000_000),
        };
        using var gateway = new TestGateway(Config(), origin);
        var (client, connection) = Connect(gateway);
        using var _ = client;
        await SendAsync(client, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Single(origin.Requests);
        Assert.Equal(1, gateway.Gateway.Connections.Count);

        connection.OnHeartbeat(long.MaxValue);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (gateway.Gateway.Connections.Count != 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task Heartbeat_ClientStopsReadingALocalAnswer_ConnectionCloses()
    {
        using var gateway = new TestGateway(Config(pathPrefix: "/api/"), new InMemoryOrigin("127.0.0.1:9001"));
        var (client, connection) = Connect(gateway);
        using var _ = client;
        // Pipelined requests nobody routes: their 404s pile up past what the pipe holds.
        var requests = new StringBuilder();
        for (var i = 0; i < 20_000; i++)
        {
            requests.Append("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        }
        await SendAsync(client, requests.ToString());
        Assert.Equal(1, gateway.Gateway.Connections.Count);

        connection.OnHeartbeat(long.MaxValue);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (gateway.Gateway.Connections.Count != 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task StaleCancel_PipelinedRequestAlreadyBuffered_IsServedWithoutWaitingForMoreBytes()
    {
        var release = new TaskCompletionSource();
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Hold = release.Task };
        using var gateway = new TestGateway(Config(), origin);
        var (client, server) = InMemoryTransport.CreatePair();
        using var owned = client;
        _ = new Http1ProxyConnection(server, "127.0.0.1"u8.ToArray(), gateway.Gateway, "web", null).Start();
        await SendAsync(client, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
        // While the first exchange waits on the upstream, the next request arrives and a cancel
        // meant for an earlier wait (a fire that lost its race) lands on the read still to come.
        await SendAsync(client, "GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        server.Input.CancelPendingRead();

        release.SetResult();

        var text = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (CountOf(text.ToString(), "HTTP/1.1 200 OK") < 2)
        {
            var result = await client.Input.ReadAsync(timeout.Token);
            text.Append(Encoding.Latin1.GetString(result.Buffer.ToArray()));
            client.Input.AdvanceTo(result.Buffer.End);
        }
        Assert.Equal(2, origin.Requests.Count);
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
