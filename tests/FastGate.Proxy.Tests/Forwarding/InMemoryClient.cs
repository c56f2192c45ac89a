using System.Buffers;
using System.Text;
using FastGate.Core.Transport;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>The client end of an in-memory connection to the gateway.</summary>
internal sealed class InMemoryClient(InMemoryTransport transport) : IDisposable
{
    private readonly StringBuilder _received = new();

    public async Task SendAsync(string bytes)
    {
        transport.Output.Write(Encoding.Latin1.GetBytes(bytes));
        await transport.Output.FlushAsync();
    }

    /// <summary>Reads until <paramref name="count"/> whole responses (by Content-Length or chunked) have arrived.</summary>
    public async Task<List<string>> ReceiveAsync(int count = 1)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var responses = Split(_received.ToString());
            if (responses.Count >= count)
            {
                return responses.Take(count).ToList();
            }
            var result = await transport.Input.ReadAsync(timeout.Token);
            foreach (var segment in result.Buffer)
            {
                _received.Append(Encoding.Latin1.GetString(segment.Span));
            }
            transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return Split(_received.ToString());
            }
        }
    }

    /// <summary>Reads raw bytes until <paramref name="done"/> holds for everything received so far, or the gateway closes.</summary>
    public async Task<string> ReceiveTextAsync(Func<string, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!done(_received.ToString()))
        {
            var result = await transport.Input.ReadAsync(timeout.Token);
            foreach (var segment in result.Buffer)
            {
                _received.Append(Encoding.Latin1.GetString(segment.Span));
            }
            transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        return _received.ToString();
    }

    /// <summary>True once the gateway has closed its side.</summary>
    public async Task<bool> ClosedAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var result = await transport.Input.ReadAsync(timeout.Token);
            transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return true;
            }
        }
    }

    private static List<string> Split(string text)
    {
        var responses = new List<string>();
        var offset = 0;
        while (true)
        {
            var headEnd = text.IndexOf("\r\n\r\n", offset, StringComparison.Ordinal);
            if (headEnd < 0)
            {
                return responses;
            }
            var head = text[offset..(headEnd + 4)];
            var end = headEnd + 4;
            if (InMemoryOrigin.HeaderValue(head, "Content-Length") is { } length)
            {
                end += int.Parse(length);
            }
            else if (InMemoryOrigin.HeaderValue(head, "Transfer-Encoding") == "chunked")
            {
                var last = text.IndexOf("0\r\n\r\n", headEnd + 4, StringComparison.Ordinal);
                if (last < 0)
                {
                    return responses;
                }
                end = last + 5;
            }
            if (text.Length < end)
            {
                return responses;
            }
            responses.Add(text[offset..end]);
            offset = end;
        }
    }

    public void Dispose() => transport.Dispose();
}
