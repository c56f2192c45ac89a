using System.Diagnostics;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// <c>hold</c>: opens N WebSockets and M event streams, keeps them for the duration, and counts
/// every one that did not last. Each WebSocket sends a message now and then (at a random phase,
/// so the checks spread out) and checks its echo; each event stream is read all along with its
/// ids checked. At the end every WebSocket does one last echo and every stream must have had an
/// event recently (not stalled). "ready" on stderr marks the moment all are open, for scripts
/// that act during the hold (reloads).
/// </summary>
internal static class HoldRun
{
    public static async Task<int> RunAsync(Options options)
    {
        var wsCount = options.Integer("ws", 100);
        var sseCount = options.Integer("sse", 100);
        var wsTarget = wsCount > 0 ? Target.Parse(options.Text("ws-url"), "ws") : null;
        var sseTarget = sseCount > 0 ? Target.Parse(options.Text("sse-url"), "http") : null;
        var duration = options.Duration("duration", TimeSpan.FromSeconds(60));
        var interval = options.Duration("check-interval", TimeSpan.FromSeconds(5));
        var stall = options.Duration("stall", TimeSpan.FromSeconds(10));
        var size = options.Integer("size", 32);
        var concurrency = options.Integer("open-concurrency", 128);
        var bufferSize = options.Integer("buffer", 2048);
        options.CheckAllUsed();

        var opening = Stopwatch.StartNew();
        var sseReaders = new Task[sseCount];
        var openWs = Opener.OpenAsync(wsCount, concurrency,
            _ => WebSocketConnection.OpenAsync(wsTarget!, size, CancellationToken.None), "WebSockets");
        var openSse = Opener.OpenAsync(sseCount, concurrency, async i =>
        {
            var s = await SseStream.OpenAsync(sseTarget!, bufferSize, CancellationToken.None);
            sseReaders[i] = Task.Run(() => s.ReadToEndAsync(CancellationToken.None));
            return s;
        }, "SSE streams");
        var (sockets, wsFailed, wsError) = await openWs;
        var (streams, sseFailed, sseError) = await openSse;
        if (wsFailed > 0)
        {
            Console.Error.WriteLine($"stream-load: {wsFailed} of {wsCount} WebSockets failed to open (first: {wsError})");
        }
        if (sseFailed > 0)
        {
            Console.Error.WriteLine($"stream-load: {sseFailed} of {sseCount} SSE streams failed to open (first: {sseError})");
        }
        var openSeconds = opening.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"stream-load: ready ws={wsCount - wsFailed} sse={sseCount - sseFailed} in {openSeconds:F1} s; holding for {duration.TotalSeconds:F0} s");

        var end = Stopwatch.GetTimestamp() + Report.Ticks(duration);
        var wsStats = new WsHoldStats[wsCount];
        var wsLoops = new Task[wsCount];
        for (var i = 0; i < wsCount; i++)
        {
            wsStats[i] = new WsHoldStats();
            wsLoops[i] = sockets[i] is { } c ? WebSocketLoopAsync(c, wsStats[i], end, interval) : Task.CompletedTask;
        }

        // Progress every 10 s; streams that end are noticed as they end, by their reader task.
        var progress = Stopwatch.StartNew();
        while (Stopwatch.GetTimestamp() < end)
        {
            var left = Report.Seconds(end - Stopwatch.GetTimestamp());
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.01, Math.Min(10, left))));
            if (Stopwatch.GetTimestamp() < end)
            {
                Console.Error.WriteLine($"stream-load: {progress.Elapsed.TotalSeconds:F0} s: ws dropped {Count(wsStats, s => s.Dropped)}, " +
                    $"sse ended {sseReaders.Count(r => r is { IsCompleted: true })}, events {streams.Sum(s => s?.Events ?? 0):N0}");
            }
        }
        var sseEnded = sseReaders.Count(r => r is { IsCompleted: true });
        var now = Stopwatch.GetTimestamp();
        var stalled = streams.Count(s => s is not null && now - Volatile.Read(ref s.LastEventAt) > Report.Ticks(stall));
        await Task.WhenAll(wsLoops);

        foreach (var s in streams)
        {
            s?.Dispose();
        }
        foreach (var r in sseReaders)
        {
            if (r is not null)
            {
                try
                {
                    await r;
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // Closed by us just now.
                }
            }
        }

        var wsDropped = Count(wsStats, s => s.Dropped);
        var mismatches = wsStats.Sum(s => s.Mismatches);
        var wsMessages = wsStats.Sum(s => s.Messages);
        long gaps = 0, outOfOrder = 0, events = 0;
        foreach (var s in streams)
        {
            if (s is not null)
            {
                gaps += s.Gaps;
                outOfOrder += s.OutOfOrder;
                events += s.Events;
            }
        }
        var dropped = wsDropped + sseEnded;
        var failures = dropped + wsFailed + sseFailed + mismatches + gaps + outOfOrder + stalled;
        Report.Write(json =>
        {
            json.WriteString("mode", "hold");
            json.WriteNumber("ws", wsCount);
            json.WriteNumber("sse", sseCount);
            json.WriteNumber("duration_s", duration.TotalSeconds);
            json.WriteNumber("open_s", Math.Round(openSeconds, 2));
            json.WriteNumber("ws_open_failed", wsFailed);
            json.WriteNumber("sse_open_failed", sseFailed);
            json.WriteNumber("ws_dropped", wsDropped);
            json.WriteNumber("sse_dropped", sseEnded);
            json.WriteNumber("dropped", dropped);
            json.WriteNumber("ws_messages", wsMessages);
            json.WriteNumber("ws_mismatches", mismatches);
            json.WriteNumber("sse_events", events);
            json.WriteNumber("sse_gaps", gaps);
            json.WriteNumber("out_of_order", outOfOrder);
            json.WriteNumber("sse_stalled", stalled);
            json.WriteNumber("failures", failures);
        });
        Console.Error.WriteLine(
            $"stream-load hold: {wsCount} WebSockets and {sseCount} SSE streams for {duration.TotalSeconds:F0} s: " +
            $"dropped {dropped} (ws {wsDropped}, sse {sseEnded}), open failures {wsFailed + sseFailed}, echoes {wsMessages:N0} " +
            $"(mismatched {mismatches}), events {events:N0} (gaps {gaps}, out of order {outOfOrder}), stalled streams {stalled}");
        return failures == 0 ? 0 : 1;
    }

    private static int Count(WsHoldStats[] stats, Func<WsHoldStats, bool> predicate)
    {
        var n = 0;
        foreach (var s in stats)
        {
            if (predicate(s))
            {
                n++;
            }
        }
        return n;
    }

    private static async Task WebSocketLoopAsync(WebSocketConnection connection, WsHoldStats stats, long end, TimeSpan interval)
    {
        long sequence = 0;
        try
        {
            // A random phase: 10,000 sockets must not all send in the same millisecond.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds));
            while (true)
            {
                var last = Stopwatch.GetTimestamp() >= end;
                await connection.SendAsync(++sequence, CancellationToken.None);
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    var result = await connection.ReceiveEchoAsync(timeout.Token);
                    if (result == EchoResult.Closed)
                    {
                        stats.Dropped = true;
                        break;
                    }
                    stats.Messages++;
                    if (result == EchoResult.Mismatch)
                    {
                        stats.Mismatches++;
                    }
                }
                if (last)
                {
                    break;
                }
                var left = Report.Seconds(end - Stopwatch.GetTimestamp());
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, Math.Min(interval.TotalSeconds, left))));
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
        {
            stats.Dropped = true;
        }
        if (stats.Dropped)
        {
            connection.Dispose();
        }
        else
        {
            await connection.CloseAsync(TimeSpan.FromSeconds(5));
        }
    }

    private sealed class WsHoldStats
    {
        public bool Dropped;
        public long Messages;
        public long Mismatches;
    }
}
