using FastGate.Core.Buffers;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Reads the chunked body the per-stream HTTP/1.1 front writes, keeping its trailer section (which
/// becomes the stream's trailing HEADERS frame) rather than dropping it. Data is reported, not
/// consumed: the stream takes what its flow-control window allows (<see cref="Took"/>) and comes
/// back for the rest. Resumable at any byte.
/// </summary>
internal struct Http2ChunkReader
{
    private const int MaxTrailerBytes = 64 * 1024;

    private enum State : byte
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        TrailerLine,
        EndLf,
        Complete,
    }

    private State _state;
    private long _remaining;
    private int _digits;

    public readonly bool IsComplete => _state == State.Complete;

    /// <summary>Data bytes of the current chunk not yet taken.</summary>
    public readonly long Remaining => _state == State.Data ? _remaining : 0;

    public void Reset() => this = default;

    /// <summary>
    /// Reads framing from the start of <paramref name="input"/>: <see cref="Http1ChunkStatus.Data"/>
    /// when chunk data starts at <paramref name="consumed"/> (up to <see cref="Remaining"/> bytes),
    /// <see cref="Http1ChunkStatus.Complete"/> after the trailer section (its lines, CRLF-ended,
    /// appended to <paramref name="trailers"/>), NeedMoreData when all of the input was framing.
    /// </summary>
    public Http1ChunkStatus Read(ReadOnlySpan<byte> input, PooledByteBuffer trailers, out int consumed)
    {
        var i = 0;
        while (i < input.Length)
        {
            var b = input[i];
            switch (_state)
            {
                case State.Size:
                    var digit = HexValue(b);
                    if (digit >= 0)
                    {
                        // As Core's chunked decoder takes it (the SSE pass-through forwards what that
                        // decoder accepted): up to 16 digits, leading zeros included, within a long.
                        if (++_digits > 16 || _remaining > (long.MaxValue >> 4))
                        {
                            consumed = i;
                            return Http1ChunkStatus.Error;
                        }
                        _remaining = (_remaining << 4) | (uint)digit;
                        i++;
                        continue;
                    }
                    if (_digits == 0)
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    if (b is not ((byte)'\r' or (byte)';' or (byte)' ' or (byte)'\t'))
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    _state = b == (byte)'\r' ? State.SizeLf : State.Extension;
                    i++;
                    continue;
                case State.Extension:
                    if (b == (byte)'\n')
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    if (b == (byte)'\r')
                    {
                        _state = State.SizeLf;
                    }
                    i++;
                    continue;
                case State.SizeLf:
                    if (b != (byte)'\n')
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    i++;
                    _digits = 0;
                    if (_remaining == 0)
                    {
                        _state = State.TrailerStart;
                        continue;
                    }
                    _state = State.Data;
                    consumed = i;
                    return Http1ChunkStatus.Data;
                case State.Data:
                    consumed = i;
                    return Http1ChunkStatus.Data;
                case State.DataCr:
                    if (b != (byte)'\r')
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    _state = State.DataLf;
                    i++;
                    continue;
                case State.DataLf:
                    if (b != (byte)'\n')
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    _state = State.Size;
                    _remaining = 0;
                    i++;
                    continue;
                case State.TrailerStart:
                    if (b == (byte)'\r')
                    {
                        _state = State.EndLf;
                        i++;
                        continue;
                    }
                    _state = State.TrailerLine;
                    continue;
                case State.TrailerLine:
                    var lf = input[i..].IndexOf((byte)'\n');
                    var end = lf < 0 ? input.Length : i + lf + 1;
                    if (trailers.Length + end - i > MaxTrailerBytes)
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    trailers.Write(input[i..end]);
                    i = end;
                    if (lf >= 0)
                    {
                        _state = State.TrailerStart;
                    }
                    continue;
                case State.EndLf:
                    if (b != (byte)'\n')
                    {
                        consumed = i;
                        return Http1ChunkStatus.Error;
                    }
                    _state = State.Complete;
                    consumed = i + 1;
                    return Http1ChunkStatus.Complete;
                default:
                    consumed = i;
                    return Http1ChunkStatus.Complete;
            }
        }
        consumed = i;
        if (_state == State.Data)
        {
            return Http1ChunkStatus.Data;
        }
        return _state == State.Complete ? Http1ChunkStatus.Complete : Http1ChunkStatus.NeedMoreData;
    }

    /// <summary>The stream sent <paramref name="bytes"/> of the current chunk's data.</summary>
    public void Took(int bytes)
    {
        _remaining -= bytes;
        if (_remaining == 0)
        {
            _state = State.DataCr;
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
