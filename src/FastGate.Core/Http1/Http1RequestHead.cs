using FastGate.Core.Http;

namespace FastGate.Core.Http1;

/// <summary>
/// A parsed request head: byte ranges into <see cref="Buffer"/>, reused across requests of a
/// connection (call <see cref="Reset"/>), so parsing allocates nothing in steady state.
/// </summary>
public sealed class Http1RequestHead
{
    private HeaderEntry[] _headers = new HeaderEntry[16];

    /// <summary>The head bytes the ranges point into (set by the caller before parsing).</summary>
    public byte[] Buffer = [];
    /// <summary>Total head length in <see cref="Buffer"/>, including the final empty line.</summary>
    public int Length;

    public RequestMethod Method;
    public int MethodStart, MethodLength;
    /// <summary>The request-target exactly as sent.</summary>
    public int TargetStart, TargetLength;
    /// <summary>The path (absolute-path of origin-form, or the path of absolute-form; "*" for asterisk-form).</summary>
    public int PathStart, PathLength;
    /// <summary>The query including its leading '?', or length 0.</summary>
    public int QueryStart, QueryLength;
    /// <summary>The authority of an absolute-form target, or length 0.</summary>
    public int AuthorityStart, AuthorityLength;
    public ProtocolVersion Version;

    /// <summary>Effective host: the absolute-form authority if present, else the Host header value. Length 0 when none.</summary>
    public int HostStart, HostLength;
    /// <summary>-1 when there is no Content-Length.</summary>
    public long ContentLength = -1;
    public bool IsChunked;
    /// <summary>True when the connection may be reused after this exchange (version default and Connection tokens).</summary>
    public bool KeepAlive;
    public bool ExpectContinue;
    /// <summary>A Connection header lists "upgrade" and an Upgrade header is present.</summary>
    public bool IsUpgrade;
    public int HeaderCount;

    public Span<HeaderEntry> Headers => _headers.AsSpan(0, HeaderCount);

    public ReadOnlySpan<byte> MethodBytes => Buffer.AsSpan(MethodStart, MethodLength);
    public ReadOnlySpan<byte> Target => Buffer.AsSpan(TargetStart, TargetLength);
    public ReadOnlySpan<byte> Path => Buffer.AsSpan(PathStart, PathLength);
    public ReadOnlySpan<byte> Query => Buffer.AsSpan(QueryStart, QueryLength);
    public ReadOnlySpan<byte> Host => Buffer.AsSpan(HostStart, HostLength);
    public ReadOnlySpan<byte> Name(in HeaderEntry h) => Buffer.AsSpan(h.NameStart, h.NameLength);
    public ReadOnlySpan<byte> Value(in HeaderEntry h) => Buffer.AsSpan(h.ValueStart, h.ValueLength);

    /// <summary>Appends a header entry, growing the array (bounded by max_headers in the parser).</summary>
    public void AddHeader(in HeaderEntry entry)
    {
        if (HeaderCount == _headers.Length)
        {
            Array.Resize(ref _headers, _headers.Length * 2);
        }
        _headers[HeaderCount++] = entry;
    }

    public void Reset()
    {
        Buffer = [];
        Length = 0;
        Method = RequestMethod.Custom;
        MethodStart = MethodLength = TargetStart = TargetLength = 0;
        PathStart = PathLength = QueryStart = QueryLength = AuthorityStart = AuthorityLength = 0;
        HostStart = HostLength = 0;
        Version = ProtocolVersion.Http11;
        ContentLength = -1;
        IsChunked = KeepAlive = ExpectContinue = IsUpgrade = false;
        HeaderCount = 0;
    }
}
