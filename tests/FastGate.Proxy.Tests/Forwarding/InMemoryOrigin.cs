using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using FastGate.Core.Transport;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// An upstream reached over in-memory pipes. It records each request (head and body as text) and
/// answers with what <see cref="Respond"/> returns; a response can be held back until released,
/// to keep an exchange in flight.
/// </summary>
internal sealed class InMemoryOrigin(string name) : IUpstreamConnector
{
    public ConcurrentQueue<string> Requests { get; } = new();

    public int Connections;

    /// <summary>Connects tried, refused ones included.</summary>
    public int ConnectAttempts;

    /// <summary>Refuse every connect, as a host with nothing listening does.</summary>
    public bool RefuseConnects { get; set; }

    /// <summary>When set, connects wait for this task before they complete (a slow handshake).</summary>
    public Task? ConnectHold { get; set; }

    /// <summary>The response to send for a request; an empty string closes the connection instead.</summary>
    public Func<string, string> Respond { get; set; } = _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /// <summary>Close the connection after each response (a body delimited by close).</summary>
    public bool CloseAfterResponse { get; set; }

    /// <summary>Send each response in pieces of 16 bytes, a millisecond apart, as a slow upstream would.</summary>
    public bool Trickle { get; set; }

    /// <summary>Where a response text stops until <see cref="PauseHold"/> completes (the marker itself is not sent).</summary>
    public const string Pause = "\u0001";

    /// <summary>What a response with <see cref="Pause"/> in it waits for there.</summary>
    public Task? PauseHold { get; set; }

    /// <summary>When set, responses wait for this task.</summary>
    public Task? Hold { get; set; }

    /// <summary>When set, each request's response waits for the task it returns for that request.</summary>
    public Func<string, Task>? HoldEach { get; set; }

    public string Name => name;

    public ValueTask<ITransport> ConnectAsync(EndPoint endPoint, TimeSpan timeout)
    {
        Interlocked.Increment(ref ConnectAttempts);
        if (RefuseConnects)
        {
            throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused);
        }
        if (ConnectHold is { } hold)
        {
            return ConnectLaterAsync(hold);
        }
        return new ValueTask<ITransport>(Open());
    }

    private async ValueTask<ITransport> ConnectLaterAsync(Task hold)
    {
        await hold;
        return Open();
    }

    private InMemoryTransport Open()
    {
        Interlocked.Increment(ref Connections);
        var (proxySide, originSide) = InMemoryTransport.CreatePair();
        _ = ServeAsync(originSide);
        return proxySide;
    }

    private async Task ServeAsync(InMemoryTransport transport)
    {
        var pending = new StringBuilder();
        while (true)
        {
            var result = await transport.Input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                pending.Append(Encoding.Latin1.GetString(segment.Span));
            }
            transport.Input.AdvanceTo(result.Buffer.End);
            while (TryTakeRequest(pending, out var request))
            {
                Requests.Enqueue(request);
                if (Hold is { } hold)
                {
                    await hold;
                }
                if (HoldEach is { } holdEach)
                {
                    await holdEach(request);
                }
                var response = Respond(request);
                if (response.Length == 0)
                {
                    // An empty answer means: close without one, as an upstream timing out a keep-alive connection does.
                    transport.Dispose();
                    return;
                }
                var parts = response.Split(Pause);
                for (var part = 0; part < parts.Length; part++)
                {
                    if (part > 0 && PauseHold is { } pause)
                    {
                        await pause;
                    }
                    var bytes = Encoding.Latin1.GetBytes(parts[part]);
                    if (Trickle)
                    {
                        for (var i = 0; i < bytes.Length; i += 16)
                        {
                            transport.Output.Write(bytes.AsSpan(i, Math.Min(16, bytes.Length - i)));
                            await transport.Output.FlushAsync();
                            await Task.Delay(1);
                        }
                    }
                    else
                    {
                        transport.Output.Write(bytes);
                        await transport.Output.FlushAsync();
                    }
                }
                if (CloseAfterResponse)
                {
                    transport.Dispose();
                    return;
                }
            }
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Takes one whole request (head plus Content-Length or chunked body) off the front.</summary>
    private static bool TryTakeRequest(StringBuilder pending, out string request)
    {
        request = "";
        var text = pending.ToString();
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return false;
        }
        var head = text[..(headEnd + 4)];
        var length = head.Length;
        var contentLength = HeaderValue(head, "Content-Length");
        if (contentLength is not null)
        {
            length += int.Parse(contentLength);
        }
        else if (HeaderValue(head, "Transfer-Encoding") == "chunked")
        {
            var end = text.IndexOf("\r\n0\r\n\r\n", headEnd, StringComparison.Ordinal);
            if (end < 0 && !text[(headEnd + 4)..].StartsWith("0\r\n\r\n", StringComparison.Ordinal))
            {
                return false;
            }
            length = end < 0 ? headEnd + 4 + 5 : end + 7;
        }
        if (text.Length < length)
        {
            return false;
        }
        request = text[..length];
        pending.Remove(0, length);
        return true;
    }

    public static string? HeaderValue(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }
        return null;
    }
}
