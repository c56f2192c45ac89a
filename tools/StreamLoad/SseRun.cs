using System.Diagnostics;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// <c>sse</c>: N event streams read as fast as they come. The events of all streams are summed at
/// the start and at the end of the measured window (after the warm-up): events per second is
/// their difference over the window. Ids are checked in order per stream throughout.
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

        await Task.Delay(warmup);
        var t0 = Stopwatch.GetTimestamp();
        var e0 = Sum(streams);
        await Task.Delay(duration);
        var e1 = Sum(streams);
        var t1 = Stopwatch.GetTimestamp();
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
        foreach (var r in readers)
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
        });
        Console.Error.WriteLine(
            $"stream-load sse: {count} streams, {seconds:F1} s: {rate:N0} events/s ({events:N0} events), " +
            $"errors {errors} (open {failed}, ended early {ended}, gaps {gaps}, out of order {outOfOrder})");
        return errors == 0 ? 0 : 1;
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
