using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>A response as read off the wire.</summary>
public sealed record RawResponse(int Status, string Head, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
    public bool HasHeader(string name) => Headers.Any(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A client on a bare socket, for what HttpClient will not send (smuggling shapes, bare LF,
/// pipelining, CONNECT, partial heads) and to see the exact bytes that come back. Every read
/// is bounded by the token given; the connection's own default is 10 s.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket)
    {
        _socket = socket;
    }

    public static async Task<RawHttpConnection> ConnectAsync(int port, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = Timeout(cancellationToken);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return new RawHttpConnection(socket);
    }

    private static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return cts;
    }

    public Task SendAsync(string text, CancellationToken cancellationToken = default) => SendAsync(Encoding.Latin1.GetBytes(text), cancellationToken);

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        using var cts = Timeout(cancellationToken);
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, cts.Token);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads more bytes into the buffer; false at end of stream.</summary>
    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }
        if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
            if (_end == _buffer.Length)
            {
                throw new InvalidOperationException("response head larger than the test buffer");
            }
        }
        int read;
        try
        {
            read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset)
        {
            return false;
        }
        _end += read;
        return read > 0;
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var index = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (index >= 0)
            {
                var line = Encoding.Latin1.GetString(_buffer, _start, index - _start).TrimEnd('\r');
                _start = index + 1;
                return line;
            }
            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    private async Task ReadExactlyAsync(Stream sink, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException($"connection closed with {count} body bytes missing");
            }
            var take = (int)Math.Min(count, _end - _start);
            sink.Write(_buffer, _start, take);
            _start += take;
            count -= take;
        }
    }

    /// <summary>
    /// Reads one response: head, then a body framed by Content-Length, chunked encoding, or the
    /// end of the connection. <paramref name="noBody"/> for responses to HEAD (RFC 9112 §6.3).
    /// </summary>
    public async Task<RawResponse> ReadResponseAsync(bool noBody = false, CancellationToken cancellationToken = default)
    {
        using var cts = Timeout(cancellationToken);
        var token = cts.Token;
        var statusLine = await ReadLineAsync(token) ?? throw new EndOfStreamException("connection closed before a response");
        var head = new StringBuilder(statusLine).Append('\n');
        var headers = new List<KeyValuePair<string, string>>();
        while (await ReadLineAsync(token) is { Length: > 0 } line)
        {
            head.Append(line).Append('\n');
            var colon = line.IndexOf(':');
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        var status = int.Parse(statusLine.Split(' ')[1]);
        var response = new RawResponse(status, head.ToString(), headers, []);
        if (noBody || status is (>= 100 and < 200) or 204 or 304)
        {
            return response;
        }
        using var body = new MemoryStream();
        if (response.Header("Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await ReadLineAsync(token) ?? throw new EndOfStreamException("closed inside chunked body");
                var size = Convert.ToInt64(sizeLine.Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    while (await ReadLineAsync(token) is { Length: > 0 })
                    {
                    }
                    break;
                }
                await ReadExactlyAsync(body, size, token);
                await ReadLineAsync(token);
            }
        }
        else if (response.Header("Content-Length") is { } length)
        {
            await ReadExactlyAsync(body, long.Parse(length), token);
        }
        else
        {
            await ReadToEndAsync(body, token);
        }
        return response with { Body = body.ToArray() };
    }

    private async Task ReadToEndAsync(Stream sink, CancellationToken cancellationToken)
    {
        do
        {
            sink.Write(_buffer, _start, _end - _start);
            _start = _end = 0;
        }
        while (await FillAsync(cancellationToken));
    }

    /// <summary>True when the peer closes the connection (EOF or reset) within the timeout, with no more bytes.</summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var rest = new MemoryStream();
            await ReadToEndAsync(rest, cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
