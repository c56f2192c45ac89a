using System.Diagnostics;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// <c>sse</c>: N event streams read as fast as they come. The events of all streams are summed at
/// the start and at the end of the measured window (after the warm-up): events per second is
/// their difference over the window. Ids are checked in order per stream throughout.
/// <para>
/// With <c>--probe-interval-ms N</c> one more stream of the same URL, its events paced N ms apart
/// and stamped by the origin (<c>interval_ms=N&amp;stamp=1</c>, the mock's <c>/sse</c>), measures
/// how long a lone event takes to reach the client while the others stream back to back: a proxy
/// that holds events back to send fewer, larger segments shows it there. Its events are not
/// counted in the rate.
/// </para>
/// </summary>
internal static class SseRun
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = Target.Parse(options.Text("url"), "http");
        var count = options.Integer("streams", 1000);
        var duration = options.Duration("duration", TimeSpan.FromSeconds(10));
        var warmup = options.Duration("warmup", TimeSpan.FromSeconds(2));
        var concurrency = options.Integer("open-concurrency", 128);
        var bufferSize = options.Integer("buffer", 16 * 1024);
        var probeInterval = options.Integer("probe-interval-ms", 0);
        options.CheckAllUsed();

        var readers = new Task[count];
        var (streams, failed, firstError) = await Opener.OpenAsync(count, concurrency, async i =>
        {
            var s = await SseStream.OpenAsync(target, bufferSize, CancellationToken.None);
            readers[i] = Task.Run(() => s.ReadToEndAsync(CancellationToken.None));
            return s;
        }, "SSE streams");
        if (failed > 0)
        {
            Console.Error.WriteLine($"stream-load: {failed} of {count} SSE streams failed to open (first: {firstError})");
        }

        SseStream? probe = null;
        Task? probeReader = null;
        if (probeInterval > 0)
        {
            probe = await SseStream.OpenAsync(target.WithPathAndQuery(ProbePath(target.PathAndQuery, probeInterval)), bufferSize, CancellationToken.None);
            probeReader = Task.Run(() => probe.ReadToEndAsync(CancellationToken.None));
        }

        await Task.Delay(warmup);
        var delays = new LatencyHistogram();
        if (probe is not null)
        {
            probe.Delays = delays;
        }
        var t0 = Stopwatch.GetTimestamp();
        var e0 = Sum(streams);
        await Task.Delay(duration);
        var e1 = Sum(streams);
        var t1 = Stopwatch.GetTimestamp();
        if (probe is not null)
        {
            probe.Delays = null;
        }
        var ended = 0;
        for (var i = 0; i < count; i++)
        {
            if (readers[i] is { IsCompleted: true })
            {
                ended++;
            }
        }
        foreach (var s in streams)
        {
            s?.Dispose();
        }
        probe?.Dispose();
        foreach (var r in readers.Append(probeReader))
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

        long gaps = 0, outOfOrder = 0, total = 0;
        foreach (var s in streams)
        {
            if (s is not null)
            {
                gaps += s.Gaps;
                outOfOrder += s.OutOfOrder;
                total += s.Events;
            }
        }
        var seconds = Report.Seconds(t1 - t0);
        var events = e1 - e0;
        var rate = events / seconds;
        var errors = failed + ended + gaps + outOfOrder;
        Report.Write(json =>
        {
            json.WriteString("mode", "sse");
            json.WriteNumber("streams", count);
            json.WriteNumber("duration_s", Math.Round(seconds, 3));
            json.WriteNumber("events", events);
            json.WriteNumber("rate", Math.Round(rate, 1));
            json.WriteNumber("events_total", total);
            json.WriteNumber("errors", errors);
            json.WriteNumber("open_failed", failed);
            json.WriteNumber("ended_early", ended);
            json.WriteNumber("gaps", gaps);
            json.WriteNumber("out_of_order", outOfOrder);
            if (probe is not null)
            {
                json.WriteNumber("probe_interval_ms", probeInterval);
                json.WriteNumber("probe_events", delays.Count);
                json.WriteNumber("p50_ms", Report.Milliseconds(delays.Quantile(0.50)));
                json.WriteNumber("p99_ms", Report.Milliseconds(delays.Quantile(0.99)));
                json.WriteNumber("p999_ms", Report.Milliseconds(delays.Quantile(0.999)));
                json.WriteNumber("max_ms", Report.Milliseconds(delays.Quantile(1.0)));
            }
        });
        Console.Error.WriteLine(
            $"stream-load sse: {count} streams, {seconds:F1} s: {rate:N0} events/s ({events:N0} events), " +
            $"errors {errors} (open {failed}, ended early {ended}, gaps {gaps}, out of order {outOfOrder})");
        if (probe is not null)
        {
            Console.Error.WriteLine(
                $"stream-load sse: lone events ({delays.Count}, one every {probeInterval} ms) from the origin's write to the client: " +
                $"p50 {delays.Quantile(0.5) / 1e6:F3} ms, p99 {delays.Quantile(0.99) / 1e6:F3} ms, max {delays.Quantile(1.0) / 1e6:F3} ms");
        }
        return errors == 0 ? 0 : 1;
    }

    /// <summary>The load URL's path and query with its events paced and stamped: interval_ms=N, stamp=1, count=0 (until closed).</summary>
    private static string ProbePath(string pathAndQuery, int intervalMs)
    {
        var q = pathAndQuery.IndexOf('?');
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        var kept = q < 0 ? [] : pathAndQuery[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("interval_ms=", StringComparison.Ordinal) && !p.StartsWith("stamp=", StringComparison.Ordinal) && !p.StartsWith("count=", StringComparison.Ordinal));
        return $"{path}?{string.Join('&', kept.Append("count=0").Append($"interval_ms={intervalMs}").Append("stamp=1"))}";
    }

    private static long Sum(SseStream?[] streams)
    {
        long sum = 0;
        foreach (var s in streams)
        {
            if (s is not null)
            {
                sum += Volatile.Read(ref s.Events);
            }
        }
        return sum;
    }
}
