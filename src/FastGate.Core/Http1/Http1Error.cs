namespace FastGate.Core.Http1;

/// <summary>Why a head or a chunked body was rejected. Each maps to the status the client gets.</summary>
public enum Http1Error : byte
{
    None,
    /// <summary>Malformed request line (method, target or version). 400.</summary>
    InvalidRequestLine,
    /// <summary>Request line longer than the limit. 414.</summary>
    RequestLineTooLong,
    /// <summary>Head (all lines) larger than max_header_bytes. 431.</summary>
    HeadTooLarge,
    /// <summary>More headers than max_headers. 431.</summary>
    TooManyHeaders,
    /// <summary>A line ended by LF without CR, or a CR not followed by LF. 400.</summary>
    BareLineEnding,
    /// <summary>Malformed header line: no colon, empty or invalid name, whitespace before the colon. 400.</summary>
    InvalidHeader,
    /// <summary>obs-fold (a header line starting with SP or HTAB). 400.</summary>
    ObsFold,
    /// <summary>NUL, CR, LF or another control byte (other than HTAB) in a header value. 400.</summary>
    InvalidHeaderValue,
    /// <summary>Content-Length not a plain decimal, or several that differ. 400.</summary>
    InvalidContentLength,
    /// <summary>Both Content-Length and Transfer-Encoding present. 400.</summary>
    ContentLengthWithTransferEncoding,
    /// <summary>Transfer-Encoding whose final coding is not exactly "chunked" (or any coding but chunked). 400 (501 for unknown codings is also allowed; we answer 400).</summary>
    InvalidTransferEncoding,
    /// <summary>HTTP/1.1 request without Host, or several Host headers, or an invalid Host value. 400.</summary>
    InvalidHost,
    /// <summary>CONNECT is not served. 405.</summary>
    MethodNotAllowed,
    /// <summary>HTTP version other than 1.0/1.1. 505.</summary>
    UnsupportedVersion,
    /// <summary>Chunk size line not hex, too large, or a malformed chunk extension. 400.</summary>
    InvalidChunkSize,
    /// <summary>Chunk data not followed by CRLF, or a malformed trailer section. 400.</summary>
    InvalidChunkFraming,
    /// <summary>Malformed status line from an upstream. 502.</summary>
    InvalidStatusLine,
}
