using System.Buffers;
using FastGate.Core.Buffers;

namespace FastGate.Core.Http1;

/// <summary>
/// Frames body data for the receiving side of an HTTP/1.1 message: as it is (the length is in the
/// head, or the connection's close ends it), or chunked (a chunk per piece, then the last chunk).
/// Writes through a <see cref="BufferWriter{T}"/>; <see cref="Commit"/> hands the bytes over.
/// </summary>
public ref struct Http1BodyWriter<TWriter> : IHttp1BodySink where TWriter : IBufferWriter<byte>
{
    private BufferWriter<TWriter> _writer;
    private readonly bool _chunked;
    private long _written;

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

    /// <summary>Commits what was written and returns how many bytes that was, over the writer's life.</summary>
    public long Commit()
    {
        _written += _writer.Buffered;
        _writer.Commit();
        return _written;
    }
}
