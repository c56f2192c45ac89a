namespace FastGate.Core.Http1;

/// <summary>Maps a parse error to the status code the client is answered with before the connection closes.</summary>
public static class Http1ErrorExtensions
{
    /// <summary>
    /// The status for <paramref name="error"/>: 414 for an over-long request line, 431 for an over-large head or
    /// too many headers (RFC 6585 section 5), 405 for CONNECT, 505 for an unsupported version, 502 for a malformed
    /// upstream status line, 400 for everything else (RFC 9112 section 3: a malformed request line or header gets 400).
    /// <see cref="Http1Error.None"/> maps to 200.
    /// </summary>
    public static int ToStatusCode(this Http1Error error) => error switch
    {
        Http1Error.None => 200,
        Http1Error.RequestLineTooLong => 414,
        Http1Error.HeadTooLarge => 431,
        Http1Error.TooManyHeaders => 431,
        Http1Error.MethodNotAllowed => 405,
        Http1Error.UnsupportedVersion => 505,
        Http1Error.InvalidStatusLine => 502,
        _ => 400,
    };
}
