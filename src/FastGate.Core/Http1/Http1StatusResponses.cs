using System.Text;
using FastGate.Core.Buffers;

namespace FastGate.Core.Http1;

/// <summary>
/// Pre-built local answers (errors the proxy produces itself): a short text body, built once per
/// status so answering a flood of bad requests allocates nothing.
/// </summary>
public static class Http1StatusResponses
{
    private static readonly Dictionary<int, byte[]> KeepAliveResponses = new();
    private static readonly Dictionary<int, byte[]> CloseResponses = new();
    private static readonly Dictionary<int, byte[]> Reasons = new();
    private static readonly Dictionary<int, byte[]> Bodies = new();

    static Http1StatusResponses()
    {
        foreach (var status in new[] { 400, 403, 404, 405, 408, 413, 414, 421, 429, 431, 500, 501, 502, 503, 504, 505 })
        {
            KeepAliveResponses[status] = Build(status, close: false);
            CloseResponses[status] = Build(status, close: true);
            Bodies[status] = Encoding.ASCII.GetBytes(Body(status));
        }
        foreach (var status in new[] { 100, 200, 201, 202, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 408, 409, 410, 413, 414, 421, 422, 429, 431, 500, 501, 502, 503, 504, 505 })
        {
            Reasons[status] = Encoding.ASCII.GetBytes(ReasonPhrase(status));
        }
        Bodies[401] = Encoding.ASCII.GetBytes(Body(401));
    }

    public static ReadOnlySpan<byte> Continue100 => "HTTP/1.1 100 Continue\r\n\r\n"u8;

    /// <summary>The whole response (head and body) for <paramref name="status"/>.</summary>
    public static ReadOnlySpan<byte> Get(int status, bool close)
    {
        var table = close ? CloseResponses : KeepAliveResponses;
        return table.TryGetValue(status, out var bytes) ? bytes : (close ? CloseResponses[500] : KeepAliveResponses[500]);
    }

    /// <summary>
    /// The answer to a HEAD request: the same head, Content-Length included (RFC 9110 §9.3.2: what
    /// a GET would get), and no body, which a keep-alive client would read as the next response.
    /// </summary>
    public static ReadOnlySpan<byte> GetHead(int status, bool close) => HeadOf(Get(status, close));

    /// <summary>The head of a whole canned <paramref name="response"/>, for a HEAD request.</summary>
    public static ReadOnlySpan<byte> HeadOf(ReadOnlySpan<byte> response) => response[..(response.IndexOf("\r\n\r\n"u8) + 4)];

    /// <summary>The reason phrase as bytes, for heads written without strings.</summary>
    public static ReadOnlySpan<byte> ReasonPhraseUtf8(int status) => Reasons.TryGetValue(status, out var reason) ? reason : "Unknown"u8;

    /// <summary>Writes the status line "HTTP/1.1 <paramref name="status"/> reason\r\n" of a head built field by field.</summary>
    public static void WriteStatusLine<T>(ref BufferWriter<T> w, int status) where T : System.Buffers.IBufferWriter<byte>
    {
        w.Write("HTTP/1.1 "u8);
        w.WriteDecimal(status);
        w.Write((byte)' ');
        w.Write(ReasonPhraseUtf8(status));
        w.Write("\r\n"u8);
    }

    /// <summary>The short text body the proxy sends with <paramref name="status"/>; empty for statuses it has none for.</summary>
    public static ReadOnlySpan<byte> DefaultBody(int status) => Bodies.TryGetValue(status, out var body) ? body : default;

    public static string ReasonPhrase(int status) => status switch
    {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    };

    private static string Body(int status) => status switch
    {
        404 => "no route matches this request\n",
        502 => "upstream failed\n",
        503 => "no upstream endpoint available\n",
        504 => "upstream timed out\n",
        _ => ReasonPhrase(status).ToLowerInvariant() + "\n",
    };

    private static byte[] Build(int status, bool close) => Compose(status, close, "", Body(status));

    /// <summary>
    /// A whole plain-text response built once, for answers a gateway gives often enough to keep:
    /// <paramref name="fields"/> are extra header lines, each ending in CRLF.
    /// </summary>
    public static byte[] Compose(int status, bool close, string fields, string body)
    {
        var text = $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n"
            + fields + (close ? "Connection: close\r\n" : "") + "\r\n" + body;
        return Encoding.ASCII.GetBytes(text);
    }
}
