using System.Buffers;

namespace FastGate.Core.Http1;

/// <summary>
/// Moves one message body from the bytes read on one side to the writer of the other: an
/// <see cref="Http1BodyReader"/> decodes the sender's framing and an <see cref="Http1BodyWriter{TWriter}"/>
/// frames it for the receiver (a Content-Length body passes through; a chunked body is decoded
/// and either re-chunked or written plain; a body delimited by close is chunked for an HTTP/1.1
/// receiver). Synchronous and resumable, so the connection loop does the awaiting and the copier
/// holds only a few fields of state.
/// </summary>
public struct Http1BodyCopier
{
    private Http1BodyReader _reader;
    private bool _encode;

    /// <summary>Body bytes (decoded data) copied so far.</summary>
    public readonly long BodyBytes => _reader.BodyBytes;

    public readonly Http1BodyFraming Framing => _reader.Framing;

    /// <param name="framing">How the incoming body is delimited.</param>
    /// <param name="contentLength">The length, for <see cref="Http1BodyFraming.ContentLength"/>.</param>
    /// <param name="encodeChunked">Write the body chunked (chunked and close-delimited inputs only).</param>
    /// <param name="maxBytes">Decoded bytes allowed before <see cref="Http1CopyStatus.TooLarge"/>.</param>
    /// <param name="keepTrailers">A chunked body's trailer fields are copied (when it is written chunked) instead of dropped.</param>
    public void Start(Http1BodyFraming framing, long contentLength, bool encodeChunked, long maxBytes, bool keepTrailers = false)
    {
        _reader.Start(framing, contentLength, maxBytes, keepTrailers && encodeChunked);
        _encode = encodeChunked && framing != Http1BodyFraming.ContentLength;
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
        var writer = new Http1BodyWriter<TWriter>(output, _encode);
        var status = _reader.Read(input, inputEnded, ref writer, out consumed);
        written = writer.Commit();
        return status;
    }
}
