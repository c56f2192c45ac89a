using System.Buffers;
using FastGate.Core.Buffers;

namespace FastGate.Core.Http1;

/// <summary>
/// Moves one message body from the bytes read on one side to the writer of the other, framing it
/// for the receiving side: a Content-Length body passes through; a chunked body is decoded
/// (extensions and trailers validated and dropped) and either re-chunked or written plain; a
/// body delimited by close is chunked for an HTTP/1.1 receiver. Synchronous and resumable, so the
/// connection loop does the awaiting and the copier holds only a few fields of state.
/// </summary>
public struct Http1BodyCopier
{
    private Http1ChunkedDecoder _decoder;
    private Http1BodyFraming _framing;
    private bool _encode;
    private long _remaining;
    private long _maxBytes;

    /// <summary>Body bytes (decoded data) copied so far.</summary>
    public long BodyBytes { get; private set; }

    public readonly Http1BodyFraming Framing => _framing;

    /// <param name="framing">How the incoming body is delimited.</param>
    /// <param name="contentLength">The length, for <see cref="Http1BodyFraming.ContentLength"/>.</param>
    /// <param name="encodeChunked">Write the body chunked (chunked and close-delimited inputs only).</param>
    /// <param name="maxBytes">Decoded bytes allowed before <see cref="Http1CopyStatus.TooLarge"/>.</param>
    public void Start(Http1BodyFraming framing, long contentLength, bool encodeChunked, long maxBytes)
    {
        _decoder.Reset();
        _framing = framing;
        _encode = encodeChunked && framing != Http1BodyFraming.ContentLength;
        _remaining = contentLength;
        _maxBytes = maxBytes;
        BodyBytes = 0;
    }

    /// <summary>
    /// Copies what <paramref name="input"/> holds of the body into <paramref name="output"/>.
    /// <paramref name="consumed"/> is how many input bytes belong to the body (advance the reader by it);
    /// <paramref name="written"/> how many bytes were written. <paramref name="inputEnded"/> says the
    /// sender closed, which ends a close-delimited body.
    /// </summary>
    public Http1CopyStatus Copy<TWriter>(in ReadOnlySequence<byte> input, bool inputEnded, TWriter output, out long consumed, out long written)
        where TWriter : IBufferWriter<byte>
    {
        var writer = new BufferWriter<TWriter>(output);
        Http1CopyStatus status;
        switch (_framing)
        {
            case Http1BodyFraming.ContentLength:
                status = CopyLength(input, ref writer, out consumed);
                break;
            case Http1BodyFraming.Chunked:
                status = CopyChunked(input, ref writer, out consumed);
                break;
            default:
                status = CopyUntilClose(input, inputEnded, ref writer, out consumed);
                break;
        }
        written = writer.Buffered;
        writer.Commit();
        return status;
    }

    private Http1CopyStatus CopyLength<TWriter>(in ReadOnlySequence<byte> input, ref BufferWriter<TWriter> writer, out long consumed)
        where TWriter : IBufferWriter<byte>
    {
        var take = Math.Min(_remaining, input.Length);
        foreach (var segment in input.Slice(0, take))
        {
            writer.Write(segment.Span);
        }
        consumed = take;
        _remaining -= take;
        BodyBytes += take;
        if (BodyBytes > _maxBytes)
        {
            return Http1CopyStatus.TooLarge;
        }
        return _remaining == 0 ? Http1CopyStatus.Complete : Http1CopyStatus.NeedMoreData;
    }

    private Http1CopyStatus CopyChunked<TWriter>(in ReadOnlySequence<byte> input, ref BufferWriter<TWriter> writer, out long consumed)
        where TWriter : IBufferWriter<byte>
    {
        consumed = 0;
        foreach (var memory in input)
        {
            var span = memory.Span;
            while (span.Length > 0)
            {
                var chunk = _decoder.Read(span, out var used, out var dataOffset, out var dataLength);
                consumed += used;
                if (chunk == Http1ChunkStatus.Data)
                {
                    BodyBytes += dataLength;
                    if (BodyBytes > _maxBytes)
                    {
                        return Http1CopyStatus.TooLarge;
                    }
                    WriteData(ref writer, span.Slice(dataOffset, dataLength));
                }
                else if (chunk == Http1ChunkStatus.Complete)
                {
                    WriteEnd(ref writer);
                    return Http1CopyStatus.Complete;
                }
                else if (chunk == Http1ChunkStatus.Error)
                {
                    return Http1CopyStatus.InvalidFraming;
                }
                span = span[used..];
            }
        }
        return Http1CopyStatus.NeedMoreData;
    }

    private Http1CopyStatus CopyUntilClose<TWriter>(in ReadOnlySequence<byte> input, bool inputEnded, ref BufferWriter<TWriter> writer, out long consumed)
        where TWriter : IBufferWriter<byte>
    {
        if (!input.IsEmpty)
        {
            if (_encode)
            {
                writer.WriteHex(input.Length);
                writer.Write("\r\n"u8);
            }
            foreach (var segment in input)
            {
                writer.Write(segment.Span);
            }
            if (_encode)
            {
                writer.Write("\r\n"u8);
            }
        }
        consumed = input.Length;
        BodyBytes += input.Length;
        if (BodyBytes > _maxBytes)
        {
            return Http1CopyStatus.TooLarge;
        }
        if (inputEnded)
        {
            WriteEnd(ref writer);
            return Http1CopyStatus.Complete;
        }
        return Http1CopyStatus.NeedMoreData;
    }

    private readonly void WriteData<TWriter>(ref BufferWriter<TWriter> writer, ReadOnlySpan<byte> data)
        where TWriter : IBufferWriter<byte>
    {
        if (_encode)
        {
            writer.WriteHex(data.Length);
            writer.Write("\r\n"u8);
            writer.Write(data);
            writer.Write("\r\n"u8);
        }
        else
        {
            writer.Write(data);
        }
    }

    private readonly void WriteEnd<TWriter>(ref BufferWriter<TWriter> writer)
        where TWriter : IBufferWriter<byte>
    {
        if (_encode)
        {
            writer.Write("0\r\n\r\n"u8);
        }
    }
}
