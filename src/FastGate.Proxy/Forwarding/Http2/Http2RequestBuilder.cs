using System.Buffers;
using FastGate.Core.Buffers;
using FastGate.Core.HPack;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Takes the fields of one decoded request (or trailer) header block and checks them as RFC 9113
/// §8.1-8.3 asks: pseudo-header fields first, each once, only the request ones; names lowercase;
/// no connection-specific field; <c>te</c> only "trailers"; no CR, LF or NUL and no edge whitespace
/// in a value. A block that breaks a rule is malformed (the stream is reset with PROTOCOL_ERROR);
/// the fields still all pass through, as the HPACK decoder must see the block to its end.
/// The accepted request is then the head of the stream's exchange, as the HTTP/1.1 text a client
/// of the front would send (request line, <c>Host</c> from <c>:authority</c>, the fields, cookies
/// joined with "; ", the body framing and <c>Connection: close</c>) and already parsed
/// (Http2RequestBuilder.DirectHead.cs); an extended CONNECT goes through the bridge as that text.
/// One builder per connection, reused for every block, and for the next connection of the same
/// event loop (<see cref="Http2RequestBuilderPool"/>).
/// </summary>
internal sealed partial class Http2RequestBuilder : IHPackHeaderSink
{
    // The fields' and cookies' arrays are kept between blocks, and with the builder in the loop's
    // pool, up to this size: a pooled builder holds at most twice this, not the 64 KB a buffer keeps by default.
    private const int RetainedFieldBytes = 16 * 1024;
    private readonly PooledByteBuffer _fields = new(RetainedFieldBytes);
    private readonly PooledByteBuffer _cookies = new(RetainedFieldBytes);
    private const int PseudoBytes = 1024;
    private byte[] _pseudo = new byte[PseudoBytes];
    private int _pseudoLength;
    private (int Start, int Length) _method, _scheme, _authority, _path, _protocol;
    private bool _trailers;
    private bool _regularSeen;
    // Which pseudo-header fields the block had: 1 :method, 2 :scheme, 4 :authority, 8 :path, 16 :protocol.
    private int _used;

    /// <summary>Why the block is malformed; null when it is not.</summary>
    public string? Malformed { get; private set; }

    /// <summary>The content-length the client gave; -1 without one.</summary>
    public long ContentLength { get; private set; }

    public bool IsConnect => Method.SequenceEqual("CONNECT"u8);

    public bool IsHead => Method.SequenceEqual("HEAD"u8);

    public ReadOnlySpan<byte> Method => Pseudo(_method);

    /// <summary>Starts a block; <paramref name="trailers"/>: a trailing block, which may carry no pseudo-header field.</summary>
    public void Begin(bool trailers)
    {
        _fields.Clear();
        _cookies.Clear();
        _pseudoLength = 0;
        _method = _scheme = _authority = _path = _protocol = default;
        _trailers = trailers;
        _regularSeen = false;
        _used = 0;
        Malformed = null;
        ContentLength = -1;
        BeginFields();
    }

    /// <summary>
    /// Goes back to the loop's pool: a block that grew a buffer past its usual size leaves no large
    /// array held by an idle builder (Begin clears the fields' and cookies' buffers, which then keep
    /// at most <see cref="RetainedFieldBytes"/> each).
    /// </summary>
    public void TrimForPool()
    {
        if (_pseudo.Length > PseudoBytes)
        {
            _pseudo = new byte[PseudoBytes];
        }
        TrimFieldEntries();
        Begin(trailers: false);
    }

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Malformed is not null)
        {
            return;
        }
        if (name.IsEmpty)
        {
            Malformed = "an empty field name";
            return;
        }
        if (name[0] == (byte)':')
        {
            OnPseudo(name, value);
            return;
        }
        _regularSeen = true;
        if (!ValidName(name))
        {
            Malformed = "a field name with uppercase or invalid characters";
            return;
        }
        if (!ValidValue(value))
        {
            Malformed = "a field value with CR, LF, NUL or whitespace at its edges";
            return;
        }
        if (IsConnectionSpecific(name))
        {
            Malformed = "a connection-specific field";
            return;
        }
        if (name.SequenceEqual("te"u8))
        {
            if (!System.Text.Ascii.EqualsIgnoreCase(value, "trailers"u8))
            {
                Malformed = "te other than \"trailers\"";
                return;
            }
        }
        if (_trailers)
        {
            Append(_fields, name, value);
            return;
        }
        if (DropsForTunnel(name))
        {
            return;
        }
        if (name.SequenceEqual("content-length"u8))
        {
            if (!Http1Parser.TryParseDecimal(value, out var length) || (ContentLength >= 0 && ContentLength != length))
            {
                Malformed = "an invalid content-length";
                return;
            }
            ContentLength = length;
            return;
        }
        if (name.SequenceEqual("cookie"u8))
        {
            // RFC 9113 §8.2.3: cookie crumbs are joined with "; " for an HTTP/1.1 hop.
            if (_cookies.Length > 0)
            {
                _cookies.Write("; "u8);
            }
            _cookies.Write(value);
            return;
        }
        if (name.SequenceEqual("host"u8))
        {
            if (_authority.Length > 0)
            {
                // :authority wins; a Host that names another entity is malformed (§8.3.1).
                if (!value.SequenceEqual(Pseudo(_authority)))
                {
                    Malformed = "a host field that differs from :authority";
                }
                return;
            }
        }
        AppendField(name, value);
    }

    private void OnPseudo(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_trailers)
        {
            Malformed = "a pseudo-header field in trailers";
            return;
        }
        if (_regularSeen)
        {
            Malformed = "a pseudo-header field after a regular field";
            return;
        }
        ref var slot = ref _method;
        if (name.SequenceEqual(":method"u8))
        {
            slot = ref _method;
        }
        else if (name.SequenceEqual(":scheme"u8))
        {
            slot = ref _scheme;
        }
        else if (name.SequenceEqual(":authority"u8))
        {
            slot = ref _authority;
        }
        else if (name.SequenceEqual(":path"u8))
        {
            slot = ref _path;
        }
        else if (name.SequenceEqual(":protocol"u8))
        {
            slot = ref _protocol;
        }
        else
        {
            Malformed = "an unknown or response pseudo-header field";
            return;
        }
        if ((_used & Bit(name)) != 0)
        {
            Malformed = "a duplicate pseudo-header field";
            return;
        }
        if (!ValidValue(value) || value.IndexOfAny((byte)' ', (byte)'\t') >= 0)
        {
            Malformed = "an invalid pseudo-header value";
            return;
        }
        if (_pseudoLength + value.Length + 1 > _pseudo.Length)
        {
            Array.Resize(ref _pseudo, Math.Max(_pseudo.Length * 2, _pseudoLength + value.Length + 1));
        }
        // Offsets start at 1 so an empty value is still told from a missing one.
        _pseudo[_pseudoLength++] = 0;
        value.CopyTo(_pseudo.AsSpan(_pseudoLength));
        slot = (_pseudoLength, value.Length);
        _pseudoLength += value.Length;
        MarkUsed(name);
    }

    private void MarkUsed(ReadOnlySpan<byte> name) => _used |= Bit(name);

    private static int Bit(ReadOnlySpan<byte> name) => name.Length switch
    {
        7 when name[1] == (byte)'m' => 1,
        7 when name[1] == (byte)'s' => 2,
        10 => 4,
        5 => 8,
        _ => 16,
    };

    private ReadOnlySpan<byte> Pseudo((int Start, int Length) slot) => _pseudo.AsSpan(slot.Start, slot.Length);

    /// <summary>
    /// After the block: checks the pseudo-header fields a request needs (§8.3.1). Null when the
    /// request may go on; else why it is malformed.
    /// </summary>
    public string? CheckRequest()
    {
        if (Malformed is not null)
        {
            return Malformed;
        }
        if ((_used & 1) == 0 || _method.Length == 0)
        {
            return "no :method";
        }
        if (IsConnect)
        {
            // Plain CONNECT carries only :method and :authority; extended CONNECT (:protocol) is RFC 8441's.
            if ((_used & 16) != 0)
            {
                return CheckExtendedConnect();
            }
            return (_used & 2) != 0 || (_used & 8) != 0 || _authority.Length == 0 ? "CONNECT with :scheme or :path, or without :authority" : null;
        }
        if ((_used & 16) != 0)
        {
            return ":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL";
        }
        if ((_used & 2) == 0 || (_used & 8) == 0 || _path.Length == 0)
        {
            return "no :scheme or :path";
        }
        var path = Pseudo(_path);
        if (path[0] != (byte)'/' && !(path.SequenceEqual("*"u8) && Method.SequenceEqual("OPTIONS"u8)))
        {
            return ":path not in origin or asterisk form";
        }
        return null;
    }

    /// <summary>The request head as HTTP/1.1 text; <paramref name="bodyFollows"/>: the HEADERS frame did not end the stream.</summary>
    public void WriteRequest(IBufferWriter<byte> output, bool bodyFollows, bool chunked)
    {
        if (IsExtendedConnect)
        {
            WriteWebSocketRequest(output);
            return;
        }
        var w = new BufferWriter<IBufferWriter<byte>>(output);
        WriteHeadStart(ref w, Method);
        if (ContentLength >= 0)
        {
            w.Write("content-length: "u8);
            w.WriteDecimal(ContentLength);
            w.Write("\r\n"u8);
        }
        else if (bodyFollows && chunked)
        {
            w.Write("transfer-encoding: chunked\r\n"u8);
        }
        w.Write("connection: close\r\n\r\n"u8);
        w.Commit();
    }

    /// <summary>A trailer block's fields as a chunked trailer section after the last chunk.</summary>
    public void WriteTrailers(IBufferWriter<byte> output)
    {
        var w = new BufferWriter<IBufferWriter<byte>>(output);
        w.Write("0\r\n"u8);
        w.Write(_fields.WrittenSpan);
        w.Write("\r\n"u8);
        w.Commit();
    }

    private static void Append(PooledByteBuffer buffer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        // One reservation for the line, not one per piece.
        var length = name.Length + value.Length + 4;
        var span = buffer.GetSpan(length);
        name.CopyTo(span);
        span[name.Length] = (byte)':';
        span[name.Length + 1] = (byte)' ';
        value.CopyTo(span[(name.Length + 2)..]);
        span[length - 2] = (byte)'\r';
        span[length - 1] = (byte)'\n';
        buffer.Advance(length);
    }

    // RFC 9110 §5.6.2's tchar less the uppercase letters, which RFC 9113 §8.2.1 forbids in names.
    private static readonly SearchValues<byte> LowercaseTokenChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"u8);

    /// <summary>A token (RFC 9110 §5.6.2) in lowercase, as RFC 9113 §8.2.1 asks of every field name.</summary>
    private static bool ValidName(ReadOnlySpan<byte> name) => !name.ContainsAnyExcept(LowercaseTokenChars);

    private static bool ValidValue(ReadOnlySpan<byte> value)
    {
        if (value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            return false;
        }
        return value.IsEmpty || (value[0] is not ((byte)' ' or (byte)'\t') && value[^1] is not ((byte)' ' or (byte)'\t'));
    }

    private static bool IsConnectionSpecific(ReadOnlySpan<byte> name) => name.Length switch
    {
        7 => name.SequenceEqual("upgrade"u8),
        10 => name.SequenceEqual("connection"u8) || name.SequenceEqual("keep-alive"u8),
        16 => name.SequenceEqual("proxy-connection"u8),
        17 => name.SequenceEqual("transfer-encoding"u8),
        _ => false,
    };

    /// <summary>The request line, Host from :authority, the client's fields and its cookies joined.</summary>
    private void WriteHeadStart(ref BufferWriter<IBufferWriter<byte>> w, ReadOnlySpan<byte> method)
    {
        w.Write(method);
        w.Write((byte)' ');
        w.Write(Pseudo(_path));
        w.Write(" HTTP/1.1\r\n"u8);
        if (_authority.Length > 0)
        {
            w.Write("host: "u8);
            w.Write(Pseudo(_authority));
            w.Write("\r\n"u8);
        }
        w.Write(_fields.WrittenSpan);
        if (_cookies.Length > 0)
        {
            w.Write("cookie: "u8);
            w.Write(_cookies.WrittenSpan);
            w.Write("\r\n"u8);
        }
    }
}
