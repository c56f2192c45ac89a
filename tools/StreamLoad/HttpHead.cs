using System.Net.Sockets;
using System.Text;

namespace FastGate.Tools.StreamLoad;

/// <summary>How the body after a response head is delimited.</summary>
internal enum BodyFraming : byte
{
    UntilClose,
    Chunked,
    ContentLength,
}

/// <summary>
/// The response head of a stream's request, read once per stream (not a hot path): the status,
/// the headers a stream client checks, and how many bytes after the head were read with it.
/// </summary>
internal readonly struct HttpHead
{
    public int Status { get; init; }

    public string? WebSocketAccept { get; init; }

    public string? ContentType { get; init; }

    public BodyFraming Framing { get; init; }

    public long ContentLength { get; init; }

    /// <summary>Bytes of the buffer that are the head (the body starts there).</summary>
    public int HeadLength { get; init; }

    /// <summary>Bytes read into the buffer in total (head and the start of the body).</summary>
    public int Read { get; init; }

    /// <summary>Reads from SOCKET into BUFFER until a whole head is there; throws on a close or a head larger than BUFFER.</summary>
    public static async ValueTask<HttpHead> ReadAsync(Socket socket, byte[] buffer, CancellationToken cancel)
    {
        var read = 0;
        while (true)
        {
            if (read == buffer.Length)
            {
                throw new IOException("response head larger than the receive buffer");
            }
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancel);
            if (n == 0)
            {
                throw new IOException("connection closed before a response head");
            }
            var from = Math.Max(0, read - 3);
            read += n;
            var end = buffer.AsSpan(from, read - from).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return Parse(buffer, from + end + 4, read);
            }
        }
    }

    private static HttpHead Parse(byte[] buffer, int headLength, int read)
    {
        var text = Encoding.ASCII.GetString(buffer, 0, headLength);
        var lines = text.Split("\r\n");
        var status = lines[0].Split(' ');
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out var code))
        {
            throw new IOException($"bad status line '{lines[0]}'");
        }
        string? accept = null, contentType = null;
        var framing = BodyFraming.UntilClose;
        long length = 0;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            var name = line.AsSpan(0, colon).Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("sec-websocket-accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = value;
            }
            else if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
                && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                framing = BodyFraming.Chunked;
            }
            else if (name.Equals("content-length", StringComparison.OrdinalIgnoreCase) && framing != BodyFraming.Chunked
                && long.TryParse(value, out length))
            {
                framing = BodyFraming.ContentLength;
            }
        }
        return new HttpHead
        {
            Status = code,
            WebSocketAccept = accept,
            ContentType = contentType,
            Framing = framing,
            ContentLength = length,
            HeadLength = headLength,
            Read = read,
        };
    }
}
