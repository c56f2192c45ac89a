using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// <c>ai</c>: N keep-alive connections, each sending streamed chat completions
/// (<c>/v1/chat/completions</c>, <c>"stream":true</c>) one after the other for the duration.
/// Reports requests/s and events/s over the window after the warm-up, and the percentiles of
/// the time to the first token (the first event with content) and of the whole response.
/// Works against a provider (the mock) directly and through a gateway alike.
/// </summary>
internal static class AiRun
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = Target.Parse(options.Text("url"), "http");
        var count = options.Integer("connections", 64);
        var duration = options.Duration("duration", TimeSpan.FromSeconds(10));
        var warmup = options.Duration("warmup", TimeSpan.FromSeconds(2));
        var model = options.Text("model", "m+tokens-64");
        var key = options.Text("key", "bench-key");
        var prompt = options.Text("prompt", "say something short");
        var includeUsage = options.Integer("include-usage", 0) == 1;
        var bufferSize = options.Integer("buffer", 16 * 1024);
        options.CheckAllUsed();

        var request = Request(target, model, key, prompt, includeUsage);
        var connections = new AiConnection[count];
        for (var i = 0; i < count; i++)
        {
            connections[i] = new AiConnection(target, request, bufferSize);
        }
        var begin = Stopwatch.GetTimestamp();
        var measureFrom = begin + Report.Ticks(warmup);
        var stopAt = measureFrom + Report.Ticks(duration);
        var runs = new Task[count];
        for (var i = 0; i < count; i++)
        {
            var c = connections[i];
            runs[i] = Task.Run(() => c.RunAsync(measureFrom, stopAt));
        }
        await Task.WhenAll(runs);

        var ttft = new LatencyHistogram();
        var latency = new LatencyHistogram();
        long requests = 0, requestsTotal = 0, events = 0, eventsTotal = 0, errors = 0;
        string? firstError = null;
        foreach (var c in connections)
        {
            ttft.Add(c.Ttft);
            latency.Add(c.Latency);
            requests += c.Requests;
            requestsTotal += c.RequestsTotal;
            events += c.Events;
            eventsTotal += c.EventsTotal;
            errors += c.Errors;
            firstError ??= c.FirstError;
            c.Dispose();
        }
        var seconds = duration.TotalSeconds;
        var rate = requests / seconds;
        Report.Write(json =>
        {
            json.WriteString("mode", "ai");
            json.WriteString("model", model);
            json.WriteNumber("connections", count);
            json.WriteNumber("duration_s", Math.Round(seconds, 3));
            json.WriteNumber("requests", requests);
            json.WriteNumber("requests_total", requestsTotal);
            json.WriteNumber("rate", Math.Round(rate, 1));
            json.WriteNumber("events", events);
            json.WriteNumber("events_rate", Math.Round(events / seconds, 1));
            json.WriteNumber("events_total", eventsTotal);
            json.WriteNumber("errors", errors);
            Percentiles(json, "ttft_", ttft);
            Percentiles(json, "", latency);
            if (firstError is not null)
            {
                json.WriteString("first_error", firstError);
            }
        });
        Console.Error.WriteLine(
            $"stream-load ai: {count} connections, {seconds:F1} s: {rate:N0} requests/s, {events / seconds:N0} events/s, " +
            $"TTFT p50 {Report.Milliseconds(ttft.Quantile(0.5))} ms p99 {Report.Milliseconds(ttft.Quantile(0.99))} ms, " +
            $"latency p50 {Report.Milliseconds(latency.Quantile(0.5))} ms p99 {Report.Milliseconds(latency.Quantile(0.99))} ms, errors {errors}" +
            (firstError is null ? "" : $" (first: {firstError})"));
        return errors == 0 && requests > 0 ? 0 : 1;
    }

    private static void Percentiles(Utf8JsonWriter json, string prefix, LatencyHistogram h)
    {
        json.WriteNumber(prefix + "p50_ms", Report.Milliseconds(h.Quantile(0.5)));
        json.WriteNumber(prefix + "p90_ms", Report.Milliseconds(h.Quantile(0.9)));
        json.WriteNumber(prefix + "p99_ms", Report.Milliseconds(h.Quantile(0.99)));
        json.WriteNumber(prefix + "p999_ms", Report.Milliseconds(h.Quantile(0.999)));
    }

    private static byte[] Request(Target target, string model, string key, string prompt, bool includeUsage)
    {
        var body = new MemoryStream();
        // The model's '+' options as written, not \u002B: what a client library sends.
        var relaxed = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(body, relaxed))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteBoolean("stream", true);
            if (includeUsage)
            {
                json.WriteStartObject("stream_options");
                json.WriteBoolean("include_usage", true);
                json.WriteEndObject();
            }
            json.WriteStartArray("messages");
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteString("content", prompt);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var head = Encoding.ASCII.GetBytes(
            $"POST {target.PathAndQuery} HTTP/1.1\r\nHost: {target.Host}\r\nContent-Type: application/json\r\n" +
            $"Accept: text/event-stream\r\nAuthorization: Bearer {key}\r\nContent-Length: {body.Length}\r\n\r\n");
        return [.. head, .. body.ToArray()];
    }
}
