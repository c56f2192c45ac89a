using System.Buffers;
using System.Text;
using FastGate.Core.HPack;
using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// Takes the fields of one response header block as HPACK decodes them and writes them as
/// HTTP/1.1 field lines, checking what RFC 9113 §8.1.1-§8.3 requires of a response: :status first
/// and alone among pseudo-fields, lowercase names, no CR, LF or NUL in a value (which would split
/// the HTTP/1.1 text the exchange reads). Connection-specific fields are dropped. One per session,
/// used by its reader loop only.
/// </summary>
internal sealed class Http2ResponseHeadSink : IHPackHeaderSink
{
    private bool _trailers;
    private bool _regularSeen;

    /// <summary>The field lines ("name: value\r\n"), valid until the next block.</summary>
    public ArrayBufferWriter<byte> Lines { get; } = new(1024);

    /// <summary>The :status of a head block; 0 when none came.</summary>
    public int Status { get; private set; }

    /// <summary>The content-length field's value; -1 when none came.</summary>
    public long ContentLength { get; private set; }

    /// <summary>Why the block is malformed; null when it is not.</summary>
    public string? Problem { get; private set; }

    /// <summary>Starts a block: trailers when the stream already has its final head.</summary>
    public void Begin(Http2UpstreamStream? stream)
    {
        _trailers = stream is { HeadSeen: true };
        _regularSeen = false;
        Lines.Clear();
        Status = 0;
        ContentLength = -1;
        Problem = null;
    }

    public void Refuse(string problem) => Problem ??= problem;

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Problem is not null)
        {
            return;
        }
        if (name.IsEmpty)
        {
            Refuse("an empty field name");
            return;
        }
        if (name[0] == (byte)':')
        {
            if (_trailers || _regularSeen || Status != 0 || !name.SequenceEqual(":status"u8))
            {
                Refuse($"pseudo-field {Encoding.Latin1.GetString(name)} out of place");
                return;
            }
            if (value.Length != 3 || !Http1Parser.TryParseDecimal(value, out var status) || status < 100)
            {
                Refuse("a :status that is not three digits");
                return;
            }
            Status = (int)status;
            return;
        }
        _regularSeen = true;
        foreach (var b in name)
        {
            if (!HttpChars.IsTokenChar(b) || b is >= (byte)'A' and <= (byte)'Z')
            {
                Refuse("a field name not in lowercase token characters");
                return;
            }
        }
        if (value.ContainsAny(HttpChars.InvalidFieldValue))
        {
            Refuse("a control character (CR, LF, NUL...) in a field value");
            return;
        }
        // RFC 9113 §8.2.2: connection-specific fields have no meaning on HTTP/2; the hop to the
        // client gets its own framing from the exchange.
        if (name.SequenceEqual("connection"u8) || name.SequenceEqual("keep-alive"u8) || name.SequenceEqual("proxy-connection"u8)
            || name.SequenceEqual("transfer-encoding"u8) || name.SequenceEqual("upgrade"u8))
        {
            return;
        }
        if (name.SequenceEqual("content-length"u8))
        {
            if (_trailers)
            {
                return;
            }
            if (!Http1Parser.TryParseDecimal(value, out var length) || (ContentLength >= 0 && ContentLength != length))
            {
                Refuse("an invalid content-length");
                return;
            }
            ContentLength = length;
        }
        Lines.Write(name);
        Lines.Write(": "u8);
        Lines.Write(value);
        Lines.Write("\r\n"u8);
    }
}
