using System.Diagnostics;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// <c>ws-echo</c>: N WebSockets, each a closed loop of one small text message and its echo.
/// Every connection counts what it sent inside the measured window (after the warm-up) and its
/// round-trip times; the run reports messages per second and the latency percentiles.
/// </summary>
internal static class EchoRun
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = Target.Parse(options.Text("url"), "ws");
        var connections = options.Integer("connections", 64);
        var duration = options.Duration("duration", TimeSpan.FromSeconds(10));
        var warmup = options.Duration("warmup", TimeSpan.FromSeconds(2));
        var size = options.Integer("size", 32);
        var concurrency = options.Integer("open-concurrency", 128);
        options.CheckAllUsed();

        var (opened, failed, firstError) = await Opener.OpenAsync(connections, concurrency,
            _ => WebSocketConnection.OpenAsync(target, size, CancellationToken.None), "WebSockets");
        if (failed > 0)
        {
            Console.Error.WriteLine($"stream-load: {failed} of {connections} WebSockets failed to open (first: {firstError})");
        }

        var start = Stopwatch.GetTimestamp() + Report.Ticks(warmup);
        var end = start + Report.Ticks(duration);
        var stats = new EchoStats[connections];
        var loops = new Task[connections];
        for (var i = 0; i < connections; i++)
        {
            stats[i] = new EchoStats();
            loops[i] = opened[i] is { } c ? LoopAsync(c, stats[i], start, end) : Task.CompletedTask;
        }
        // A proxy that stops answering must not hang the run: past the end (and a grace), the
        // sockets are closed under the loops, which then count an error.
        var all = Task.WhenAll(loops);
        if (await Task.WhenAny(all, Task.Delay(warmup + duration + TimeSpan.FromSeconds(10))) != all)
        {
            foreach (var c in opened)
            {
                c?.Dispose();
            }
            await all;
        }
        var measured = Report.Seconds(end - start);

        var histogram = new LatencyHistogram();
        long messages = 0, allMessages = 0, mismatches = 0, errors = failed, closed = 0;
        foreach (var s in stats)
        {
            histogram.Add(s.Histogram);
            messages += s.Messages;
            allMessages += s.AllMessages;
            mismatches += s.Mismatches;
            errors += s.Errors;
            closed += s.Closed;
        }
        errors += mismatches + closed;
        var rate = messages / measured;
        Report.Write(json =>
        {
            json.WriteString("mode", "ws-echo");
            json.WriteNumber("connections", connections);
            json.WriteNumber("size", size);
            json.WriteNumber("duration_s", Math.Round(measured, 3));
            json.WriteNumber("messages", messages);
            json.WriteNumber("rate", Math.Round(rate, 1));
            json.WriteNumber("messages_total", allMessages);
            json.WriteNumber("p50_ms", Report.Milliseconds(histogram.Quantile(0.50)));
            json.WriteNumber("p99_ms", Report.Milliseconds(histogram.Quantile(0.99)));
            json.WriteNumber("p999_ms", Report.Milliseconds(histogram.Quantile(0.999)));
            json.WriteNumber("max_ms", Report.Milliseconds(histogram.Quantile(1.0)));
            json.WriteNumber("errors", errors);
            json.WriteNumber("open_failed", failed);
            json.WriteNumber("mismatches", mismatches);
            json.WriteNumber("closed_early", closed);
        });
        Console.Error.WriteLine(
            $"stream-load ws-echo: {connections} connections, {size}-byte messages, {measured:F1} s: {rate:N0} messages/s, " +
            $"p50 {histogram.Quantile(0.5) / 1e6:F3} ms, p99 {histogram.Quantile(0.99) / 1e6:F3} ms, p99.9 {histogram.Quantile(0.999) / 1e6:F3} ms, " +
            $"errors {errors} (open {failed}, mismatched {mismatches}, closed early {closed})");
        return errors == 0 ? 0 : 1;
    }

    private static async Task LoopAsync(WebSocketConnection connection, EchoStats stats, long start, long end)
    {
        // Off the opener's context: each loop starts on the thread pool and then runs where its
        // socket completions run.
        await Task.Yield();
        long sequence = 0;
        var clean = false;
        try
        {
            while (true)
            {
                var sent = Stopwatch.GetTimestamp();
                if (sent >= end)
                {
                    clean = true;
                    break;
                }
                await connection.SendAsync(++sequence, CancellationToken.None);
                var result = await connection.ReceiveEchoAsync(CancellationToken.None);
                var received = Stopwatch.GetTimestamp();
                if (result == EchoResult.Closed)
                {
                    stats.Closed++;
                    break;
                }
                stats.AllMessages++;
                if (sent < start)
                {
                    continue;
                }
                stats.Messages++;
                if (result == EchoResult.Mismatch)
                {
                    stats.Mismatches++;
                }
                else
                {
                    stats.Histogram.Record(Report.Nanoseconds(received - sent));
                }
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            stats.Errors++;
        }
        if (clean)
        {
            await connection.CloseAsync(TimeSpan.FromSeconds(2));
        }
        else
        {
            connection.Dispose();
        }
    }

    private sealed class EchoStats
    {
        public readonly LatencyHistogram Histogram = new();
        public long Messages;
        public long AllMessages;
        public long Mismatches;
        public long Errors;
        public long Closed;
    }
}
