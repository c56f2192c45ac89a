using System.Buffers.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding.Http2;

// The request head handed to the stream's exchange as it is parsed, not as text: the builder
// writes the same HTTP/1.1 head bytes WriteRequest would (so the head's ranges, its length and
// what the exchange forwards are those of the text path), and fills the parsed head the HTTP/1.1
// parser would have made of them, from what it already knows of each field. The exchange then
// neither searches the bridge for the head's end nor parses it again.
internal sealed partial class Http2RequestBuilder
{
    // The request's regular fields as ranges into _fields (request blocks only), with their known names.
    private const int FieldEntries = 16;
    private HeaderEntry[] _fieldEntries = new HeaderEntry[FieldEntries];
    private int _fieldCount;
    // The first field the HTTP/1.1 parser would refuse (a control byte in a value, a framing look-alike name).
    private Http1Error _fieldError;

    // A builder back to the pool keeps the usual number of field ranges (see TrimForPool).
    private void TrimFieldEntries()
    {
        if (_fieldEntries.Length > 4 * FieldEntries)
        {
            _fieldEntries = new HeaderEntry[FieldEntries];
        }
    }

    private void BeginFields()
    {
        _fieldCount = 0;
        _fieldError = Http1Error.None;
    }

    /// <summary>A regular field of a request: its line, and its range for the parsed head.</summary>
    private void AppendField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var start = _fields.Length;
        Append(_fields, name, value);
        var known = KnownHeaders.Lookup(name);
        if (_fieldError == Http1Error.None)
        {
            // What the HTTP/1.1 parser refuses beyond RFC 9113's own rules (checked in OnHeader).
            if (known == KnownHeader.Other && KnownHeaders.IsFramingLookAlike(name))
            {
                _fieldError = Http1Error.InvalidHeader;
            }
            else if (value.ContainsAny(HttpChars.InvalidFieldValue))
            {
                _fieldError = Http1Error.InvalidHeaderValue;
            }
        }
        if (_fieldCount == _fieldEntries.Length)
        {
            Array.Resize(ref _fieldEntries, _fieldCount * 2);
        }
        _fieldEntries[_fieldCount++] = new HeaderEntry
        {
            NameStart = start,
            NameLength = name.Length,
            ValueStart = start + name.Length + 2,
            ValueLength = value.Length,
            Known = known,
        };
    }

    /// <summary>
    /// The accepted request (not an extended CONNECT) as a parsed head in <paramref name="head"/>,
    /// its bytes in <paramref name="array"/>: the text <see cref="WriteRequest"/> writes, with the
    /// ranges and framing facts <see cref="Http1Parser.ParseRequest"/> would find in it. Returns
    /// what that parser would refuse in it (method or path bytes, Host, a field value), else None;
    /// the listener's size limits are the exchange's to apply.
    /// </summary>
    public Http1Error FillHead(RequestHead head, ref HeadArray array, bool bodyFollows, bool chunked)
    {
        var method = Method;
        var path = Pseudo(_path);
        var authority = Pseudo(_authority);
        Span<byte> digits = stackalloc byte[20];
        var digitCount = 0;
        if (ContentLength >= 0)
        {
            Utf8Formatter.TryFormat(ContentLength, digits, out digitCount);
        }
        var teChunked = ContentLength < 0 && bodyFollows && chunked;
        var length = method.Length + 1 + path.Length + " HTTP/1.1\r\n"u8.Length
            + (authority.Length > 0 ? "host: "u8.Length + authority.Length + 2 : 0)
            + _fields.Length
            + (_cookies.Length > 0 ? "cookie: "u8.Length + _cookies.Length + 2 : 0)
            + (ContentLength >= 0 ? "content-length: "u8.Length + digitCount + 2 : teChunked ? "transfer-encoding: chunked\r\n"u8.Length : 0)
            + "connection: close\r\n\r\n"u8.Length;
        var buffer = array.Get(length);
        head.Reset();
        head.Buffer = buffer;
        head.Length = length;
        var span = buffer.AsSpan();

        // The request line: method SP path SP HTTP/1.1.
        var pos = Put(span, 0, method);
        span[pos++] = (byte)' ';
        head.Method = Http1Parser.MethodOf(method);
        head.MethodStart = 0;
        head.MethodLength = method.Length;
        head.TargetStart = pos;
        head.TargetLength = path.Length;
        head.PathStart = pos;
        if (path[0] == (byte)'/')
        {
            var query = path.IndexOf((byte)'?');
            head.PathLength = query < 0 ? path.Length : query;
            head.QueryStart = pos + head.PathLength;
            head.QueryLength = query < 0 ? 0 : path.Length - query;
        }
        else
        {
            // asterisk-form ("*", OPTIONS only; CheckRequest saw to that): a path of its own, no query.
            head.PathLength = path.Length;
        }
        pos = Put(span, pos, path);
        pos = Put(span, pos, " HTTP/1.1\r\n"u8);
        var error = method.ContainsAnyExcept(HttpChars.Token) || path.ContainsAnyExcept(HttpChars.TargetChar)
            ? Http1Error.InvalidRequestLine
            : Http1Error.None;

        var hosts = 0;
        if (authority.Length > 0)
        {
            hosts = 1;
            pos = PutField(head, span, pos, "host: "u8, authority, KnownHeader.Host);
            head.HostStart = pos - 2 - authority.Length;
            head.HostLength = authority.Length;
        }
        var fieldsStart = pos;
        pos = Put(span, pos, _fields.WrittenSpan);
        foreach (var field in _fieldEntries.AsSpan(0, _fieldCount))
        {
            var entry = field;
            entry.NameStart += fieldsStart;
            entry.ValueStart += fieldsStart;
            switch (entry.Known)
            {
                case KnownHeader.Host:
                    // Without :authority the client's Host names the target, once (RFC 9113 §8.3.1).
                    if (hosts++ == 0)
                    {
                        head.HostStart = entry.ValueStart;
                        head.HostLength = entry.ValueLength;
                    }
                    break;
                case KnownHeader.Expect:
                    head.ExpectContinue |= System.Text.Ascii.EqualsIgnoreCase(span.Slice(entry.ValueStart, entry.ValueLength), "100-continue"u8);
                    break;
            }
            head.AddHeader(entry);
        }
        if (_cookies.Length > 0)
        {
            pos = PutField(head, span, pos, "cookie: "u8, _cookies.WrittenSpan, KnownHeader.Other);
            if (_cookies.WrittenSpan.ContainsAny(HttpChars.InvalidFieldValue) && _fieldError == Http1Error.None)
            {
                _fieldError = Http1Error.InvalidHeaderValue;
            }
        }
        if (ContentLength >= 0)
        {
            pos = PutField(head, span, pos, "content-length: "u8, digits[..digitCount], KnownHeader.ContentLength);
            head.ContentLength = ContentLength;
        }
        else if (teChunked)
        {
            pos = PutField(head, span, pos, "transfer-encoding: "u8, "chunked"u8, KnownHeader.TransferEncoding);
            head.IsChunked = true;
        }
        pos = PutField(head, span, pos, "connection: "u8, "close"u8, KnownHeader.Connection);
        Put(span, pos, "\r\n"u8);
        head.Version = ProtocolVersion.Http11;
        head.KeepAlive = false;

        if (error == Http1Error.None)
        {
            // RFC 9112 §3.2, as the HTTP/1.1 front answers it: one valid Host, else 400.
            error = hosts != 1 || !HttpChars.IsValidAuthority(head.Host) ? Http1Error.InvalidHost : _fieldError;
        }
        return error;
    }

    private static int Put(Span<byte> span, int pos, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[pos..]);
        return pos + bytes.Length;
    }

    /// <summary>Writes "name: value" CRLF (<paramref name="prefix"/> is the name with its ": ") and adds its range.</summary>
    private static int PutField(RequestHead head, Span<byte> span, int pos, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> value, KnownHeader known)
    {
        var entry = new HeaderEntry
        {
            NameStart = pos,
            NameLength = prefix.Length - 2,
            ValueStart = pos + prefix.Length,
            ValueLength = value.Length,
            Known = known,
        };
        head.AddHeader(entry);
        pos = Put(span, pos, prefix);
        pos = Put(span, pos, value);
        return Put(span, pos, "\r\n"u8);
    }
}
