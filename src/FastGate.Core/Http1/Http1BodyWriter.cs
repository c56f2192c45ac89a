using System.Buffers;
using FastGate.Core.Buffers;

namespace FastGate.Core.Http1;

/// <summary>
/// Frames body data for the receiving side of an HTTP/1.1 message: as it is (the length is in the
/// head, or the connection's close ends it), or chunked (a chunk per piece, then the last chunk and
/// the trailer section, if the body had one; a body not chunked has no place for trailers, which a
/// recipient may discard anyway, RFC 9110 §6.5.1).
/// Writes through a <see cref="BufferWriter{T}"/>; <see cref="Commit"/> hands the bytes over.
/// </summary>
public ref struct Http1BodyWriter<TWriter> : IHttp1BodySink where TWriter : IBufferWriter<byte>
{
    private BufferWriter<TWriter> _writer;
    private readonly bool _chunked;

    public Http1BodyWriter(TWriter output, bool chunked)
    {
        _writer = new BufferWriter<TWriter>(output);
        _chunked = chunked;
    }

    public void Data(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            // An empty chunk would be read as the last one.
            return;
        }
        if (_chunked)
        {
            _writer.WriteHex(data.Length);
            _writer.Write("\r\n"u8);
            _writer.Write(data);
            _writer.Write("\r\n"u8);
        }
        else
        {
            _writer.Write(data);
        }
    }

    public void End()
    {
        if (_chunked)
        {
            _writer.Write("0\r\n\r\n"u8);
        }
    }

    /// <summary>Trailer field lines (with their CRLFs) after the last data: the last chunk, then the lines.</summary>
    public void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
    {
        if (!_chunked)
        {
            return;
        }
        if (first)
        {
            _writer.Write("0\r\n"u8);
        }
        _writer.Write(fieldLines);
    }

    /// <summary>Ends a body whose trailer lines went out: the empty line that closes the section.</summary>
    public void EndAfterTrailers()
    {
        if (_chunked)
        {
            _writer.Write("\r\n"u8);
        }
    }

    /// <summary>Commits what was written and returns how many bytes that was, over the writer's life.</summary>
    public long Commit()
    {
        _writer.Commit();
        return _writer.Committed;
    }
}
