using System.Buffers;
using System.Runtime.CompilerServices;

namespace FastGate.Core.Http1;

/// <summary>
/// Forwards a chunked body to an HTTP/1.1 receiver with the sender's own chunk framing, so a
/// body nothing changes (an event stream, whose sender makes a chunk per event or per few) costs
/// one copy per read instead of a decode and a new chunk line per piece. Every byte goes through
/// the same <see cref="Http1ChunkedDecoder"/> as the decoding path and only bytes it accepted are
/// written: a sender's bad framing stops the copy before the bad byte (the caller ends the
/// connection), it never reaches the receiver. Chunk extensions and the trailer section pass as
/// they came (an intermediary may forward both, RFC 9112 §7.1.1, RFC 9110 §6.5.1).
/// <para>
/// The data of each chunk goes to a sink as well (<see cref="IHttp1BodySink.Data"/>), so the
/// caller can follow the payload (an SSE event boundary) without looking at framing.
/// <see cref="Decode"/> goes on from a chunk's start as the decoding path does, for a caller that
/// must cut the body where no chunk of the sender ends (see <see cref="AtChunkStart"/>).
/// </para>
/// </summary>
public struct Http1ChunkedRelay
{
    private Http1ChunkedDecoder _decoder;
    // Bytes of the CRLF after a chunk's data not yet read: 2 or 1 once the data is all read, 0
    // at a chunk's start (after that CRLF, or before the first chunk), -1 anywhere else.
    private int _toChunkStart;
    private bool _trailers;

    /// <summary>Starts a new body.</summary>
    public void Reset()
    {
        _decoder.Reset();
        // Trailer fields reach the sink in Decode; the relay passes them anyway, as runs it accepted.
        _decoder.KeepTrailers = true;
        _toChunkStart = 0;
        _trailers = false;
    }

    /// <summary>The bytes relayed so far end where a chunk would start: a last chunk may follow as it is.</summary>
    public readonly bool AtChunkStart => _toChunkStart == 0;

    /// <summary>
    /// The bytes relayed so far end at the end of a chunk's data, or after it: the last chunk may
    /// follow once the CRLF still owed is written (<see cref="WriteEnd"/>).
    /// </summary>
    public readonly bool AtChunkEnd => _toChunkStart >= 0;

    /// <summary>
    /// Ends what was relayed so far as a whole chunked body (the CRLF still owed after the current
    /// chunk's data, then the last chunk); returns the bytes written. Only when <see cref="AtChunkEnd"/>.
    /// </summary>
    public int WriteEnd<TWriter>(TWriter output) where TWriter : IBufferWriter<byte>
    {
        ReadOnlySpan<byte> end = "\r\n0\r\n\r\n"u8;
        end = end[(2 - _toChunkStart)..];
        output.Write(end);
        _toChunkStart = -1;
        return end.Length;
    }

    /// <summary>
    /// Copies what <paramref name="input"/> holds of the body to <paramref name="output"/> as it is,
    /// each chunk's data to <paramref name="payload"/> too. <paramref name="consumed"/> is how many
    /// input bytes belong to the body, <paramref name="written"/> how many went to the output
    /// (with <see cref="Http1CopyStatus.InvalidFraming"/>, what was accepted before the bad byte).
    /// With <paramref name="untilChunkStart"/> it stops at the first chunk start it reaches
    /// (<see cref="AtChunkStart"/>), returning <see cref="Http1CopyStatus.NeedMoreData"/> with the rest unconsumed.
    /// </summary>
    public Http1CopyStatus Relay<TWriter, TSink>(in ReadOnlySequence<byte> input, TWriter output, ref TSink payload, bool untilChunkStart, out long consumed, out long written)
        where TWriter : IBufferWriter<byte>
        where TSink : IHttp1BodySink, allows ref struct
    {
        consumed = 0;
        written = 0;
        if (untilChunkStart && _toChunkStart == 0)
        {
            return Http1CopyStatus.NeedMoreData;
        }
        foreach (var memory in input)
        {
            var span = memory.Span;
            var status = RelaySpan(span, output, ref payload, untilChunkStart, out var used, out var copied);
            consumed += used;
            written += copied;
            if (status != Http1ChunkStatus.NeedMoreData || used < span.Length)
            {
                return status switch
                {
                    Http1ChunkStatus.Complete => Http1CopyStatus.Complete,
                    Http1ChunkStatus.Error => Http1CopyStatus.InvalidFraming,
                    // Stopped at a chunk's start.
                    _ => Http1CopyStatus.NeedMoreData,
                };
            }
        }
        return Http1CopyStatus.NeedMoreData;
    }

    /// <summary>One span: validated in place, then written in one piece (up to the end, the body's end, or the last accepted byte).</summary>
    private Http1ChunkStatus RelaySpan<TWriter, TSink>(ReadOnlySpan<byte> span, TWriter output, ref TSink payload, bool untilChunkStart, out int consumed, out int written)
        where TWriter : IBufferWriter<byte>
        where TSink : IHttp1BodySink, allows ref struct
    {
        var at = 0;
        // Everything before this is accepted framing or data.
        var accepted = 0;
        var status = Http1ChunkStatus.NeedMoreData;
        while (at < span.Length)
        {
            if (_toChunkStart == 0)
            {
                if (untilChunkStart)
                {
                    break;
                }
                // Whole chunks at a chunk start (an event stream's usual read): each checked and
                // passed in one step, the decoder left at the chunk start it is at.
                var next = WholeChunks(span, at, ref payload);
                if (next > at)
                {
                    at = next;
                    accepted = at;
                    continue;
                }
            }
            var rest = span[at..];
            if (_toChunkStart > 0)
            {
                // The CRLF after a chunk's data, fed alone so the chunk's start is known when it is read.
                rest = rest[..Math.Min(rest.Length, _toChunkStart)];
            }
            var chunk = _decoder.Read(rest, out var used, out var dataOffset, out var dataLength);
            if (chunk == Http1ChunkStatus.Error)
            {
                status = chunk;
                break;
            }
            if (chunk == Http1ChunkStatus.Data)
            {
                payload.Data(rest.Slice(dataOffset, dataLength));
                _toChunkStart = _decoder.RemainingInChunk == 0 ? 2 : -1;
            }
            else if (_toChunkStart > 0)
            {
                _toChunkStart -= used;
            }
            else
            {
                // Into a size line, an extension or the trailer section.
                _toChunkStart = -1;
            }
            at += used;
            accepted = at;
            if (chunk == Http1ChunkStatus.Complete)
            {
                status = chunk;
                break;
            }
        }
        if (accepted > 0)
        {
            output.Write(span[..accepted]);
        }
        consumed = status == Http1ChunkStatus.Error ? span.Length : at;
        written = accepted;
        return status;
    }

    /// <summary>
    /// Passes the whole chunks (<see cref="WholeChunk"/>) that follow one another from
    /// <paramref name="at"/>, a chunk start, their data to <paramref name="payload"/>; returns
    /// where the first byte that is not one of them is. One tight loop per read, as a read of a
    /// stream holds one chunk per event.
    /// </summary>
    private static int WholeChunks<TSink>(ReadOnlySpan<byte> span, int at, ref TSink payload)
        where TSink : IHttp1BodySink, allows ref struct
    {
        while (WholeChunk(span[at..], out var dataStart, out var dataLength))
        {
            payload.Data(span.Slice(at + dataStart, dataLength));
            at += dataStart + dataLength + 2;
        }
        return at;
    }

    /// <summary>Most hex digits of a size line <see cref="WholeChunk"/> takes; a longer one goes through the decoder.</summary>
    private const int WholeChunkMaxDigits = 7;

    /// <summary>
    /// True when <paramref name="span"/> starts with a whole chunk of the plainest form: a size
    /// line of 1 to <see cref="WholeChunkMaxDigits"/> hex digits and CRLF, more than zero bytes of
    /// data, and the CRLF after them. The decoder accepts exactly such a chunk, byte for byte, from
    /// a chunk start and ends at the next one, so skipping it here changes nothing but the cost.
    /// Anything else (an extension, whitespace, the last chunk, a chunk cut by the read, a
    /// framing error) is left to the decoder, which judges it and reports errors as always.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool WholeChunk(ReadOnlySpan<byte> span, out int dataStart, out int dataLength)
    {
        dataStart = 0;
        dataLength = 0;
        var size = 0;
        var i = 0;
        while (true)
        {
            if (i == span.Length || i > WholeChunkMaxDigits)
            {
                return false;
            }
            var b = span[i];
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                digit = (uint)((b | 0x20) - 'a');
                if (digit > 5)
                {
                    break;
                }
                digit += 10;
            }
            size = (size << 4) | (int)digit;
            i++;
        }
        // A CR right after the digits, then LF; at most 7 digits keep the size below 2^28.
        if (i == 0 || size == 0 || span[i] != (byte)'\r' || (uint)(i + 1) >= (uint)span.Length || span[i + 1] != (byte)'\n')
        {
            return false;
        }
        var start = i + 2;
        var end = start + size;
        if ((uint)(end + 1) >= (uint)span.Length || span[end] != (byte)'\r' || span[end + 1] != (byte)'\n')
        {
            return false;
        }
        dataStart = start;
        dataLength = size;
        return true;
    }

    /// <summary>
    /// Decodes what <paramref name="input"/> holds of the body into <paramref name="sink"/>, as
    /// <see cref="Http1BodyReader"/> does for a chunked body kept with its trailers: for a caller
    /// that frames the data again from here on, which it may do from a chunk's start.
    /// </summary>
    public Http1CopyStatus Decode<TSink>(in ReadOnlySequence<byte> input, ref TSink sink, out long consumed)
        where TSink : IHttp1BodySink, allows ref struct
    {
        consumed = 0;
        _toChunkStart = -1;
        foreach (var memory in input)
        {
            var span = memory.Span;
            while (span.Length > 0)
            {
                var chunk = _decoder.Read(span, out var used, out var dataOffset, out var dataLength);
                consumed += used;
                switch (chunk)
                {
                    case Http1ChunkStatus.Data:
                        sink.Data(span.Slice(dataOffset, dataLength));
                        break;
                    case Http1ChunkStatus.Trailer:
                        sink.Trailers(span.Slice(dataOffset, dataLength), first: !_trailers);
                        _trailers = true;
                        break;
                    case Http1ChunkStatus.Complete:
                        if (_trailers)
                        {
                            sink.EndAfterTrailers();
                        }
                        else
                        {
                            sink.End();
                        }
                        return Http1CopyStatus.Complete;
                    case Http1ChunkStatus.Error:
                        return Http1CopyStatus.InvalidFraming;
                }
                span = span[used..];
            }
        }
        return Http1CopyStatus.NeedMoreData;
    }
}
