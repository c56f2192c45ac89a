using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace FastGate.Tools.MockUpstream;

/// <summary>
/// The long-lived endpoints: a WebSocket echo (<c>/ws</c>) and a Server-Sent Events source
/// (<c>/sse</c>). They count what they served, read back through /__mock/stats, so a test can
/// compare what went through a proxy with what the origin saw.
/// </summary>
internal sealed class StreamEndpoints
{
    private long _wsSessions;
    private long _wsMessages;
    private long _wsOpen;
    private long _sseStreams;
    private long _sseEvents;
    private long _sseOpen;

    public long WebSocketSessions => Interlocked.Read(ref _wsSessions);
    public long WebSocketMessages => Interlocked.Read(ref _wsMessages);
    public long WebSocketsOpen => Interlocked.Read(ref _wsOpen);
    public long SseStreams => Interlocked.Read(ref _sseStreams);
    public long SseEvents => Interlocked.Read(ref _sseEvents);
    public long SseOpen => Interlocked.Read(ref _sseOpen);

    /// <summary>
    /// <c>GET /ws</c>: accepts a WebSocket (the first subprotocol the client offers, if any, is
    /// chosen; <c>?protocol=NAME</c> chooses that one instead) and echoes every message with its
    /// type until the client closes, then answers the close with the same code. A text message
    /// <c>close:CODE</c> makes the server close with CODE instead.
    /// </summary>
    public async Task WebSocketEchoAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 426;
            ctx.Response.Headers["Sec-WebSocket-Version"] = "13";
            await ctx.Response.Body.WriteAsync("websocket only\n"u8.ToArray());
            return;
        }
        string? protocol = ctx.Request.Query["protocol"];
        if (string.IsNullOrEmpty(protocol) && ctx.WebSockets.WebSocketRequestedProtocols.Count > 0)
        {
            protocol = ctx.WebSockets.WebSocketRequestedProtocols[0];
        }
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync(string.IsNullOrEmpty(protocol) ? null : protocol);
        Interlocked.Increment(ref _wsSessions);
        Interlocked.Increment(ref _wsOpen);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var length = 0;
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(length), ctx.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription, ctx.RequestAborted);
                    return;
                }
                length += result.Count;
                if (!result.EndOfMessage)
                {
                    if (length == buffer.Length)
                    {
                        // A message larger than the buffer is echoed in pieces, as fragments.
                        await socket.SendAsync(buffer.AsMemory(0, length), result.MessageType, endOfMessage: false, ctx.RequestAborted);
                        length = 0;
                    }
                    continue;
                }
                Interlocked.Increment(ref _wsMessages);
                if (result.MessageType == WebSocketMessageType.Text && length > 6 && buffer.AsSpan(0, 6).SequenceEqual("close:"u8)
                    && int.TryParse(buffer.AsSpan(6, length - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                {
                    await socket.CloseAsync((WebSocketCloseStatus)code, "asked to", ctx.RequestAborted);
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, length), result.MessageType, endOfMessage: true, ctx.RequestAborted);
                length = 0;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client or the proxy went away: nothing left to echo.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Decrement(ref _wsOpen);
        }
    }

    /// <summary>
    /// <c>GET /sse?count=N&amp;interval_ms=M&amp;size=B&amp;first_ms=F&amp;eol=lf|crlf|cr</c>:
    /// a <c>text/event-stream</c> of N events (0: until the client goes; default 10), one every M
    /// ms (default 100; 0 sends them back to back), each <c>id: I</c>, <c>event: tick</c> and a
    /// <c>data:</c> line of B bytes (default 16) that starts with the event's number, flushed one
    /// by one. F ms pass before the first event (default 0). A <c>Last-Event-ID</c> request header
    /// continues from the event after it. With <c>stamp=1</c> the number is followed by
    /// <c> t=T</c>, T the monotonic clock (<see cref="Stopwatch.GetTimestamp"/>, nanoseconds on
    /// Linux, one clock for every process of the host) when the event was written, so a client on
    /// the same host can tell how long the event took to reach it.
    /// </summary>
    public async Task ServerSentEventsAsync(HttpContext ctx)
    {
        var query = ctx.Request.Query;
        var count = Number(query["count"], 10);
        var interval = Number(query["interval_ms"], 100);
        var size = (int)Math.Clamp(Number(query["size"], 16), 1, 1024 * 1024);
        var first = Number(query["first_ms"], 0);
        var stamp = query["stamp"] == "1";
        var eol = query["eol"].ToString() switch
        {
            "crlf" => "\r\n",
            "cr" => "\r",
            _ => "\n",
        };
        var start = Number(ctx.Request.Headers["Last-Event-ID"], 0);
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        Interlocked.Increment(ref _sseStreams);
        Interlocked.Increment(ref _sseOpen);
        var aborted = ctx.RequestAborted;
        try
        {
            await response.StartAsync(aborted);
            await response.Body.FlushAsync(aborted);
            if (first > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(first), aborted);
            }
            var payload = new StringBuilder(size + 64);
            var inARow = 0;
            // Kestrel completes writes to a connection the client has closed without an error, so a
            // back-to-back stream (interval 0) would spin on forever: the abort token ends it.
            for (var i = start + 1; (count == 0 || i <= start + count) && !aborted.IsCancellationRequested; i++)
            {
                payload.Clear();
                var number = i.ToString(CultureInfo.InvariantCulture);
                payload.Append("id: ").Append(number).Append(eol)
                    .Append("event: tick").Append(eol)
                    .Append("data: ").Append(number);
                var dataStart = payload.Length - number.Length;
                if (stamp)
                {
                    payload.Append(" t=").Append(Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture));
                }
                var padFrom = payload.Length - dataStart;
                for (var pad = padFrom; pad < size; pad++)
                {
                    payload.Append(pad == padFrom ? ' ' : (char)('a' + pad % 26));
                }
                payload.Append(eol).Append(eol);
                await response.Body.WriteAsync(Encoding.ASCII.GetBytes(payload.ToString()), aborted);
                var flush = response.Body.FlushAsync(aborted);
                var synchronous = flush.IsCompleted;
                await flush;
                Interlocked.Increment(ref _sseEvents);
                if (interval > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(interval), aborted);
                }
                else if (synchronous && ++inARow % 64 == 0)
                {
                    // Back to back, flushes complete at once until the pipe fills, and after a
                    // disconnect they always do: a thread of the pool given up now and then
                    // lets the abort (queued to that pool) reach the loop at all.
                    await Task.Yield();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away mid-stream.
        }
        finally
        {
            Interlocked.Decrement(ref _sseOpen);
        }
    }

    private static long Number(string? text, long fallback) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : fallback;
}
