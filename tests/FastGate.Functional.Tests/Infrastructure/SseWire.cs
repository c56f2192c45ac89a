using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>One event as a browser's EventSource dispatches it, and when it arrived.</summary>
public sealed record SseMessage(string? Id, string? Event, string Data, TimeSpan At);

/// <summary>What an SSE client saw of one stream: its events, and whether the response ended cleanly.</summary>
public sealed record SseResult(int Status, List<SseMessage> Events, bool EndedCleanly, string? Error);

/// <summary>
/// Clients for the mock upstream's <c>/sse</c>: a browser-style one over HttpClient (reads the body
/// line by line, dispatches on a blank line, as the WHATWG EventSource does), the exact bytes the
/// mock sends for an event, and a raw-socket read of a whole response with its chunk framing.
/// </summary>
public static class SseWire
{
    /// <summary>The bytes the mock writes for event <paramref name="id"/> (see tools/MockUpstream StreamEndpoints).</summary>
    public static string Event(long id, string eol = "\n", int size = 16)
    {
        var number = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        text.Append("id: ").Append(number).Append(eol).Append("event: tick").Append(eol).Append("data: ").Append(number);
        for (var pad = number.Length; pad < size; pad++)
        {
            text.Append(pad == number.Length ? ' ' : (char)('a' + pad % 26));
        }
        return text.Append(eol).Append(eol).ToString();
    }

    /// <summary>An HttpClient for many concurrent streams: no connection cap, HTTP/1.1 only.</summary>
    public static HttpClient Client(Uri baseAddress, TimeSpan timeout) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(30),
    })
    {
        BaseAddress = baseAddress,
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = timeout,
    };

    /// <summary>
    /// Reads <paramref name="path"/> as an EventSource would, until the response ends (cleanly, or
    /// cut) or <paramref name="cancellationToken"/> fires. <paramref name="onEvent"/> sees each event as it is dispatched.
    /// </summary>
    public static async Task<SseResult> ReadAsync(HttpClient client, string path, CancellationToken cancellationToken, Action<SseMessage>? onEvent = null)
    {
        var clock = Stopwatch.StartNew();
        var events = new List<SseMessage>();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if ((int)response.StatusCode != 200)
        {
            return new SseResult((int)response.StatusCode, events, false, null);
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        // StreamReader ends a line at CR, LF or CRLF, as the SSE grammar does.
        using var reader = new StreamReader(body, Encoding.UTF8);
        string? id = null, type = null;
        var data = new StringBuilder();
        var hasData = false;
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (hasData)
                    {
                        var message = new SseMessage(id, type, data.ToString(), clock.Elapsed);
                        events.Add(message);
                        onEvent?.Invoke(message);
                    }
                    type = null;
                    data.Clear();
                    hasData = false;
                    continue;
                }
                if (line[0] == ':')
                {
                    continue;
                }
                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' '))
                {
                    value = value[1..];
                }
                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        type = value;
                        break;
                    case "data":
                        if (hasData)
                        {
                            data.Append('\n');
                        }
                        data.Append(value);
                        hasData = true;
                        break;
                }
            }
            return new SseResult(200, events, true, null);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // HttpClient reports a chunked response cut before its last chunk as an IOException.
            return new SseResult(200, events, false, ex.Message);
        }
    }

    /// <summary>Checks the ids are 1, 2, 3... and each data line is the mock's for that id; returns a complaint or null.</summary>
    public static string? CheckInOrder(IReadOnlyList<SseMessage> events, int size = 16)
    {
        for (var i = 0; i < events.Count; i++)
        {
            var expected = Event(i + 1, "\n", size);
            var data = expected.Split('\n')[2]["data: ".Length..];
            if (events[i].Id != (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) || events[i].Data != data || events[i].Event != "tick")
            {
                return $"event {i}: id {events[i].Id} data '{events[i].Data}', expected id {i + 1}";
            }
        }
        return null;
    }

    /// <summary>
    /// Sends a GET on a bare socket and reads everything until the peer closes (or
    /// <paramref name="cancellationToken"/> fires: then what came so far). <paramref name="onBytes"/>
    /// sees the bytes so far after each read.
    /// </summary>
    public static async Task<(byte[] Bytes, bool Closed)> RawGetAsync(int port, string path, CancellationToken cancellationToken, Action<int>? onBytes = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n"), SocketFlags.None, cancellationToken);
        var all = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return (all.ToArray(), true);
                }
                all.Write(buffer, 0, read);
                onBytes?.Invoke((int)all.Length);
            }
        }
        catch (OperationCanceledException)
        {
            return (all.ToArray(), false);
        }
        catch (SocketException)
        {
            // A reset: the connection ended, not cleanly.
            return (all.ToArray(), false);
        }
    }

    /// <summary>Splits a raw HTTP/1.1 response into its head and its chunked body decoded; <c>LastChunk</c> says the 0-size chunk came.</summary>
    public static (string Head, byte[] Body, bool LastChunk) DecodeChunked(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return (text, [], false);
        }
        var head = text[..headEnd];
        var body = new MemoryStream();
        var at = headEnd + 4;
        while (true)
        {
            var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (lineEnd < 0)
            {
                return (head, body.ToArray(), false);
            }
            var size = Convert.ToInt32(text[at..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return (head, body.ToArray(), text.Length >= lineEnd + 4 && text.Substring(lineEnd, 4) == "\r\n\r\n");
            }
            if (lineEnd + 2 + size + 2 > text.Length)
            {
                body.Write(bytes, lineEnd + 2, Math.Min(size, text.Length - lineEnd - 2));
                return (head, body.ToArray(), false);
            }
            body.Write(bytes, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    /// <summary>
    /// Waits (up to 10 s) until a /metrics sample reaches <paramref name="atLeast"/>: a stream is
    /// counted just after its last bytes went out, so a client can see its end a moment before.
    /// </summary>
    public static async Task<double> WaitForMetricAsync(FastGateProcess gateway, string series, double atLeast)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = FastGateProcess.Metric(await gateway.MetricsAsync(), series);
            if (value >= atLeast || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                return value;
            }
            await Task.Delay(50);
        }
    }
}
