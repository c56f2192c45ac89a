using System.Buffers;

namespace FastGate.Core.Http1;

/// <summary>
/// Decodes one message body as its sender framed it (a Content-Length, chunked, or delimited by
/// the connection's close) and hands the data to a sink: chunk sizes and extensions are validated
/// and dropped, trailers validated and dropped or, when asked for, handed to the sink too. Synchronous and resumable: the caller reads, calls <see cref="Read"/>
/// with what it has, and advances its input by what was consumed.
/// </summary>
public struct Http1BodyReader
{
    private Http1ChunkedDecoder _decoder;
    private Http1BodyFraming _framing;
    private long _remaining;
    private long _maxBytes;
    private bool _trailers;

    /// <summary>Decoded body bytes so far.</summary>
    public long BodyBytes { get; private set; }

    public readonly Http1BodyFraming Framing => _framing;

    /// <param name="framing">How the body is delimited.</param>
    /// <param name="contentLength">The length, for <see cref="Http1BodyFraming.ContentLength"/>.</param>
    /// <param name="maxBytes">Decoded bytes allowed before <see cref="Http1CopyStatus.TooLarge"/>.</param>
    /// <param name="keepTrailers">A chunked body's trailer fields go to the sink (<see cref="IHttp1BodySink.Trailers"/>) instead of being dropped.</param>
    public void Start(Http1BodyFraming framing, long contentLength, long maxBytes, bool keepTrailers = false)
    {
        _decoder.Reset();
        _decoder.KeepTrailers = keepTrailers;
        _trailers = false;
        _framing = framing;
        _remaining = contentLength;
        _maxBytes = maxBytes;
        BodyBytes = 0;
    }

    /// <summary>
    /// Decodes what <paramref name="input"/> holds of the body into <paramref name="sink"/>.
    /// <paramref name="consumed"/> is how many input bytes belong to the body.
    /// <paramref name="inputEnded"/> says the sender closed, which ends a close-delimited body.
    /// </summary>
    public Http1CopyStatus Read<TSink>(in ReadOnlySequence<byte> input, bool inputEnded, ref TSink sink, out long consumed)
        where TSink : IHttp1BodySink, allows ref struct
    {
        switch (_framing)
        {
            case Http1BodyFraming.ContentLength:
                return ReadLength(input, ref sink, out consumed);
            case Http1BodyFraming.Chunked:
                return ReadChunked(input, ref sink, out consumed);
            default:
                return ReadUntilClose(input, inputEnded, ref sink, out consumed);
        }
    }

    private Http1CopyStatus ReadLength<TSink>(in ReadOnlySequence<byte> input, ref TSink sink, out long consumed)
        where TSink : IHttp1BodySink, allows ref struct
    {
        var take = Math.Min(_remaining, input.Length);
        foreach (var segment in input.Slice(0, take))
        {
            sink.Data(segment.Span);
        }
        consumed = take;
        _remaining -= take;
        BodyBytes += take;
        if (BodyBytes > _maxBytes)
        {
            return Http1CopyStatus.TooLarge;
        }
        if (_remaining == 0)
        {
            sink.End();
            return Http1CopyStatus.Complete;
        }
        return Http1CopyStatus.NeedMoreData;
    }

    private Http1CopyStatus ReadChunked<TSink>(in ReadOnlySequence<byte> input, ref TSink sink, out long consumed)
        where TSink : IHttp1BodySink, allows ref struct
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
                    sink.Data(span.Slice(dataOffset, dataLength));
                }
                else if (chunk == Http1ChunkStatus.Trailer)
                {
                    sink.Trailers(span.Slice(dataOffset, dataLength), first: !_trailers);
                    _trailers = true;
                }
                else if (chunk == Http1ChunkStatus.Complete)
                {
                    if (_trailers)
                    {
                        sink.EndAfterTrailers();
                    }
                    else
                    {
                        sink.End();
                    }
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

    private Http1CopyStatus ReadUntilClose<TSink>(in ReadOnlySequence<byte> input, bool inputEnded, ref TSink sink, out long consumed)
        where TSink : IHttp1BodySink, allows ref struct
    {
        foreach (var segment in input)
        {
            sink.Data(segment.Span);
        }
        consumed = input.Length;
        BodyBytes += input.Length;
        if (BodyBytes > _maxBytes)
        {
            return Http1CopyStatus.TooLarge;
        }
        if (inputEnded)
        {
            sink.End();
            return Http1CopyStatus.Complete;
        }
        return Http1CopyStatus.NeedMoreData;
    }
}
