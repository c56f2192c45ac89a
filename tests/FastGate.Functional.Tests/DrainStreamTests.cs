using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// SIGTERM with an SSE stream open: the stream runs on through drain_timeout, then ends at an
/// event boundary with a clean end of the response (so an EventSource reconnects with the last
/// whole event's id), and the process exits.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class DrainStreamTests(UpstreamsFixture upstreams)
{
    [Fact]
    public async Task Sigterm_OpenEventStream_EndsWithWholeEventsAndExits()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "drain_timeout = \"2s\""));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var firstEvent = new TaskCompletionSource();
        var read = SseWire.RawGetAsync(gateway.Port, "/sse?count=0&interval_ms=100&size=40", cts.Token, length =>
        {
            if (length > 200)
            {
                firstEvent.TrySetResult();
            }
        });
        await firstEvent.Task.WaitAsync(cts.Token);
        var clock = Stopwatch.StartNew();
        gateway.Process.Signal("TERM");

        var (bytes, closed) = await read;
        var ended = clock.Elapsed;
        Assert.True(closed, "the stream did not end");
        // It lived on through the drain timeout, and ended soon after it.
        Assert.True(ended > TimeSpan.FromSeconds(1.5) && ended < TimeSpan.FromSeconds(6), $"ended {ended} after SIGTERM");
        var (head, body, lastChunk) = SseWire.DecodeChunked(bytes);
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.True(lastChunk, "the response was cut instead of ended");
        var text = Encoding.ASCII.GetString(body);
        var events = text.Split("\n\n", StringSplitOptions.None);
        Assert.Equal("", events[^1]);
        var count = events.Length - 1;
        Assert.True(count >= 10, $"{count} events");
        Assert.Equal(string.Concat(Enumerable.Range(1, count).Select(i => SseWire.Event(i, "\n", 40))), text);

        Assert.Equal(0, await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(8)));
        Assert.Contains("stopped", gateway.Process.Stderr + gateway.Process.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_EventSplitAcrossReads_ForwardsUpToItsEndAndNoFurther()
    {
        // An upstream whose every write ends in the middle of an event: when the drain's time is up
        // the stream is always mid-event, so the gateway must forward the rest of that event and
        // drop the start of the next, which comes in the same read.
        using var upstream = new SplitEventUpstream();
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstream.Address, defaults: "drain_timeout = \"2s\""));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var started = new TaskCompletionSource();
        var read = SseWire.RawGetAsync(gateway.Port, "/events", cts.Token, length =>
        {
            if (length > 150)
            {
                started.TrySetResult();
            }
        });
        await started.Task.WaitAsync(cts.Token);
        gateway.Process.Signal("TERM");

        var (bytes, closed) = await read;
        Assert.True(closed, "the stream did not end");
        var (_, body, lastChunk) = SseWire.DecodeChunked(bytes);
        Assert.True(lastChunk, "the response was cut instead of ended");
        var text = Encoding.ASCII.GetString(body);
        var count = text.Split("\n\n").Length - 1;
        Assert.True(count >= 5, $"{count} events: {text}");
        Assert.Equal(string.Concat(Enumerable.Range(1, count).Select(SplitEventUpstream.Event)), text);
        Assert.Equal(0, await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(8)));
    }

    /// <summary>
    /// A one-connection origin that streams <c>id: K\ndata: half\n\n</c> events, each write carrying
    /// the end of one event and the start of the next, 150 ms apart.
    /// </summary>
    private sealed class SplitEventUpstream : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public SplitEventUpstream()
        {
            _listener.Start();
            _ = ServeAsync();
        }

        public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public static string Event(int id) => $"id: {id}\ndata: half\n\n";

        private async Task ServeAsync()
        {
            try
            {
                using var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var head = new byte[4096];
                var seen = 0;
                while (!Encoding.ASCII.GetString(head, 0, seen).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    seen += await socket.ReceiveAsync(head.AsMemory(seen), SocketFlags.None, _stop.Token);
                }
                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray(), SocketFlags.None, _stop.Token);
                for (var id = 1; ; id++)
                {
                    var piece = (id == 1 ? "" : "lf\n\n") + $"id: {id}\ndata: ha";
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"{piece.Length:x}\r\n{piece}\r\n"), SocketFlags.None, _stop.Token);
                    await Task.Delay(150, _stop.Token);
                }
            }
            catch (Exception)
            {
                // The gateway closed the connection, or the test ended.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
