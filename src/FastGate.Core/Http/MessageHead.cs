using System.Text;

namespace FastGate.Core.Http;

/// <summary>
/// What request and response heads share, whatever protocol carried them: the head bytes, the
/// header entries as ranges into them, and the framing facts derived from them. The HTTP/1.1
/// parser fills it from the bytes as received; a decoder of compressed heads (HPACK) fills it
/// by writing the decoded fields to <see cref="Buffer"/> and adding their ranges. Reused across
/// messages (reset, never reallocated), so filling it allocates nothing in steady state.
/// </summary>
public abstract class MessageHead
{
    private HeaderEntry[] _headers = [];

    /// <summary>The head bytes the ranges point into (set by the caller before parsing).</summary>
    public byte[] Buffer = [];
    /// <summary>Total head length in <see cref="Buffer"/>, including the final empty line.</summary>
    public int Length;
    public ProtocolVersion Version;
    /// <summary>-1 when there is no Content-Length.</summary>
    public long ContentLength = -1;
    public bool IsChunked;
    /// <summary>True when the connection may be reused after this message (version default and Connection tokens).</summary>
    public bool KeepAlive;
    public int HeaderCount;

    public Span<HeaderEntry> Headers => _headers.AsSpan(0, HeaderCount);
    public ReadOnlySpan<byte> Name(in HeaderEntry h) => Buffer.AsSpan(h.NameStart, h.NameLength);
    public ReadOnlySpan<byte> Value(in HeaderEntry h) => Buffer.AsSpan(h.ValueStart, h.ValueLength);

    /// <summary>Appends a header entry, growing the array (bounded by max_headers in the parser).</summary>
    public void AddHeader(in HeaderEntry entry)
    {
        if (HeaderCount == _headers.Length)
        {
            // Allocated on the first header, not with the head, so an idle connection holds no array.
            Array.Resize(ref _headers, Math.Max(16, _headers.Length * 2));
        }
        _headers[HeaderCount++] = entry;
    }

    /// <summary>
    /// True when a Connection header names a field other than close, keep-alive and upgrade:
    /// those fields are hop-by-hop too (RFC 9110 §7.6.1) and must not be forwarded.
    /// </summary>
    public bool HasCustomConnectionTokens()
    {
        foreach (ref readonly var header in Headers)
        {
            if (header.Known != KnownHeader.Connection)
            {
                continue;
            }
            var list = Value(header);
            if (list.IndexOf((byte)',') < 0)
            {
                // The usual field, one token ("keep-alive", "close"): no list to split.
                if (IsCustomConnectionToken(list))
                {
                    return true;
                }
                continue;
            }
            foreach (var range in list.Split((byte)','))
            {
                if (IsCustomConnectionToken(list[range]))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool IsCustomConnectionToken(ReadOnlySpan<byte> item)
    {
        var token = item.Trim(" \t"u8);
        return token.Length > 0
            && !Ascii.EqualsIgnoreCase(token, "close"u8)
            && !Ascii.EqualsIgnoreCase(token, "keep-alive"u8)
            && !Ascii.EqualsIgnoreCase(token, "upgrade"u8);
    }

    /// <summary>True when a Connection header lists <paramref name="name"/>.</summary>
    public bool IsNamedByConnection(ReadOnlySpan<byte> name) => ListsToken(KnownHeader.Connection, name);

    /// <summary>True when a <paramref name="known"/> header's comma-separated list holds <paramref name="token"/> (case-insensitive).</summary>
    public bool ListsToken(KnownHeader known, ReadOnlySpan<byte> token)
    {
        foreach (ref readonly var header in Headers)
        {
            if (header.Known == known && ListContains(Value(header), token))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>As <see cref="ListsToken(KnownHeader, ReadOnlySpan{byte})"/>, for a header without a <see cref="KnownHeader"/> of its own, found by <paramref name="name"/>.</summary>
    public bool ListsToken(ReadOnlySpan<byte> name, ReadOnlySpan<byte> token)
    {
        foreach (ref readonly var header in Headers)
        {
            if (header.Known == KnownHeader.Other && Ascii.EqualsIgnoreCase(Name(header), name) && ListContains(Value(header), token))
            {
                return true;
            }
        }
        return false;
    }

    private static bool ListContains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        foreach (var range in list.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(list[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Forgets the head: its bytes and everything parsed from them.</summary>
    public void Reset()
    {
        Buffer = [];
        Length = 0;
        ClearParsed();
    }

    /// <summary>Clears what the parser fills, keeping <see cref="Buffer"/> and <see cref="Length"/>.</summary>
    public virtual void ClearParsed()
    {
        Version = ProtocolVersion.Http11;
        ContentLength = -1;
        IsChunked = KeepAlive = false;
        HeaderCount = 0;
    }
}
