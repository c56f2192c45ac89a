using FastGate.Core.Http;

namespace FastGate.Core.Http1;

/// <summary>A parsed response head from an upstream, as byte ranges into <see cref="Buffer"/>; reused.</summary>
public sealed class Http1ResponseHead
{
    private HeaderEntry[] _headers = new HeaderEntry[16];

    public byte[] Buffer = [];
    public int Length;
    public ProtocolVersion Version;
    public int StatusCode;
    public int ReasonStart, ReasonLength;
    /// <summary>-1 when there is no Content-Length.</summary>
    public long ContentLength = -1;
    public bool IsChunked;
    /// <summary>True when the upstream connection may be reused (version default and Connection tokens).</summary>
    public bool KeepAlive;
    public int HeaderCount;

    public Span<HeaderEntry> Headers => _headers.AsSpan(0, HeaderCount);
    public ReadOnlySpan<byte> Reason => Buffer.AsSpan(ReasonStart, ReasonLength);
    public ReadOnlySpan<byte> Name(in HeaderEntry h) => Buffer.AsSpan(h.NameStart, h.NameLength);
    public ReadOnlySpan<byte> Value(in HeaderEntry h) => Buffer.AsSpan(h.ValueStart, h.ValueLength);

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
        Version = ProtocolVersion.Http11;
        StatusCode = 0;
        ReasonStart = ReasonLength = 0;
        ContentLength = -1;
        IsChunked = KeepAlive = false;
        HeaderCount = 0;
    }
}
