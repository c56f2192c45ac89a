using FastGate.Core.Http;

namespace FastGate.Core.Http1;

/// <summary>
/// Resumable decoder of the chunked transfer coding (RFC 9112 section 7.1). Holds only a few
/// integers of state, so a body split at any byte decodes the same.
/// </summary>
/// <remarks>
/// <code>
/// chunked-body   = *chunk last-chunk trailer-section CRLF
/// chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// chunk-size     = 1*HEXDIG
/// last-chunk     = 1*("0") [ chunk-ext ] CRLF
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// chunk-ext-val  = token / quoted-string
/// </code>
/// Strict on purpose: a bare LF, whitespace before or after the size without an extension, a "0x" prefix, more
/// than 16 hex digits, or data not followed by exactly CRLF are all rejected, because each is a known way to make
/// a front end and a back end disagree on where the body ends. Extensions are capped at
/// <see cref="MaxChunkLineBytes"/> and trailers at <see cref="MaxTrailerBytes"/> so a peer cannot keep the decoder
/// busy with framing that never ends. Trailer fields are validated as strictly and, with
/// <see cref="KeepTrailers"/>, handed over as they are (gRPC's grpc-status travels there; a proxy
/// may forward them, RFC 9110 §6.5.1); otherwise they are dropped.
/// </remarks>
public struct Http1ChunkedDecoder
{
    /// <summary>Longest size line (digits and extensions) accepted.</summary>
    public const int MaxChunkLineBytes = 4096;
    /// <summary>Largest trailer section accepted.</summary>
    public const int MaxTrailerBytes = 32 * 1024;
    /// <summary>Hex digits of a size line read on the fast path: 15 cannot overflow a long, so the check per digit is left to the slow path.</summary>
    private const int PlainSizeDigits = 15;

    private enum State : byte
    {
        SizeStart,
        Size,
        SizeWhitespace,
        ExtBeforeName,
        ExtName,
        ExtAfterName,
        ExtBeforeValue,
        ExtToken,
        ExtQuoted,
        ExtQuotedEscape,
        ExtAfterQuoted,
        ExtAfterValue,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerLineStart,
        TrailerName,
        TrailerValue,
        TrailerLf,
        EndLf,
        Complete,
        Failed,
    }

    private State _state;
    private int _sizeDigits;
    private int _lineBytes;
    private int _trailerBytes;
    private long _remaining;

    /// <summary>
    /// Hand the trailer section's field lines over as <see cref="Http1ChunkStatus.Trailer"/> runs
    /// instead of dropping them; set after <see cref="Reset"/>, which clears it.
    /// </summary>
    public bool KeepTrailers { get; set; }

    public Http1Error Error { get; private set; }

    /// <summary>Bytes of chunk data still expected in the current chunk.</summary>
    public readonly long RemainingInChunk => _state == State.Data ? _remaining : 0;

    public readonly bool IsComplete => _state == State.Complete;

    public void Reset() => this = default;

    /// <summary>
    /// Reads from the start of <paramref name="input"/>. Stops at the first run of chunk data
    /// (<see cref="Http1ChunkStatus.Data"/>: the data is input[dataOffset..(dataOffset + dataLength)] and
    /// <paramref name="consumed"/> = dataOffset + dataLength), at the end of the body
    /// (<see cref="Http1ChunkStatus.Complete"/>, consumed up to and including the final CRLF), when the input is
    /// used up inside framing (<see cref="Http1ChunkStatus.NeedMoreData"/>, consumed = input.Length), or at an error.
    /// Chunk extensions are validated and dropped. Trailer fields are validated and dropped, or with
    /// <see cref="KeepTrailers"/> handed over as runs of the section's bytes
    /// (<see cref="Http1ChunkStatus.Trailer"/>: input[dataOffset..(dataOffset + dataLength)], consumed =
    /// dataOffset + dataLength): field lines with their CRLFs, without the empty line that ends the
    /// section, a line possibly cut between two runs. A run is validated up to its last byte; a
    /// later bad byte still fails the body.
    /// </summary>
    public Http1ChunkStatus Read(ReadOnlySpan<byte> input, out int consumed, out int dataOffset, out int dataLength)
    {
        dataOffset = 0;
        dataLength = 0;
        int i = 0;
        // Where the run of trailer bytes met in this call starts (KeepTrailers only).
        int run = -1;
        State state = _state;
        // The framing between two chunks of a stream flushed event by event is the data's CRLF
        // and a size line without extensions ("\r\nfa\r\n"): read whole in a few steps here
        // rather than a byte at a time through the state machine below, which takes any other
        // shape (and a line cut by the end of the input) from where this leaves off.
        if (state == State.DataCr && input.Length >= 2 && input[0] == (byte)'\r' && input[1] == (byte)'\n')
        {
            i = 2;
            state = State.SizeStart;
        }
        if (state == State.SizeStart)
        {
            state = PlainSizeLine(input, ref i);
        }
        while (true)
        {
            if (state == State.Data)
            {
                if (i == input.Length)
                {
                    break;
                }
                int n = (int)Math.Min(_remaining, input.Length - i);
                _remaining -= n;
                if (_remaining == 0)
                {
                    state = State.DataCr;
                }
                _state = state;
                dataOffset = i;
                dataLength = n;
                consumed = i + n;
                return Http1ChunkStatus.Data;
            }
            if (state == State.Complete)
            {
                _state = state;
                consumed = i;
                return Http1ChunkStatus.Complete;
            }
            if (state == State.Failed)
            {
                _state = state;
                consumed = i;
                return Http1ChunkStatus.Error;
            }
            if (i == input.Length)
            {
                break;
            }

            if (run < 0 && KeepTrailers && state is (State.TrailerName or State.TrailerValue or State.TrailerLf))
            {
                // A line cut at the end of the last call goes on here.
                run = i;
            }
            byte b = input[i++];
            switch (state)
            {
                case State.SizeStart:
                    _sizeDigits = 0;
                    _lineBytes = 0;
                    _remaining = 0;
                    if (!AddHexDigit(b))
                    {
                        state = Fail(Http1Error.InvalidChunkSize);
                        continue;
                    }
                    state = State.Size;
                    continue;
                case State.Size:
                    if (AddHexDigit(b))
                    {
                        continue;
                    }
                    if (_state == State.Failed)
                    {
                        state = State.Failed;
                        continue;
                    }
                    state = AfterSizeOrExt(b, State.SizeWhitespace);
                    continue;
                case State.SizeWhitespace:
                    // BWS is allowed only before ';' (RFC 9112 section 7.1.1).
                    state = HttpChars.IsWhitespace(b) ? CountLine(state) : b == (byte)';' ? CountLine(State.ExtBeforeName) : Fail(Http1Error.InvalidChunkSize);
                    continue;
                case State.ExtBeforeName:
                    state = HttpChars.IsWhitespace(b) ? CountLine(state) : HttpChars.IsTokenChar(b) ? CountLine(State.ExtName) : Fail(Http1Error.InvalidChunkSize);
                    continue;
                case State.ExtName:
                    if (HttpChars.IsTokenChar(b))
                    {
                        state = CountLine(state);
                    }
                    else if (b == (byte)'=')
                    {
                        state = CountLine(State.ExtBeforeValue);
                    }
                    else
                    {
                        state = AfterSizeOrExt(b, State.ExtAfterName);
                    }
                    continue;
                case State.ExtAfterName:
                    state = HttpChars.IsWhitespace(b) ? CountLine(state)
                        : b == (byte)'=' ? CountLine(State.ExtBeforeValue)
                        : b == (byte)';' ? CountLine(State.ExtBeforeName)
                        : Fail(Http1Error.InvalidChunkSize);
                    continue;
                case State.ExtBeforeValue:
                    state = HttpChars.IsWhitespace(b) ? CountLine(state)
                        : b == (byte)'"' ? CountLine(State.ExtQuoted)
                        : HttpChars.IsTokenChar(b) ? CountLine(State.ExtToken)
                        : Fail(Http1Error.InvalidChunkSize);
                    continue;
                case State.ExtToken:
                    state = HttpChars.IsTokenChar(b) ? CountLine(state) : AfterSizeOrExt(b, State.ExtAfterValue);
                    continue;
                case State.ExtQuoted:
                    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 section 5.6.4).
                    state = b == (byte)'"' ? CountLine(State.ExtAfterQuoted)
                        : b == (byte)'\\' ? CountLine(State.ExtQuotedEscape)
                        : HttpChars.InvalidFieldValue.Contains(b) ? Fail(Http1Error.InvalidChunkSize)
                        : CountLine(state);
                    continue;
                case State.ExtQuotedEscape:
                    state = HttpChars.InvalidFieldValue.Contains(b) ? Fail(Http1Error.InvalidChunkSize) : CountLine(State.ExtQuoted);
                    continue;
                case State.ExtAfterQuoted:
                    state = AfterSizeOrExt(b, State.ExtAfterValue);
                    continue;
                case State.ExtAfterValue:
                    // Whitespace after a value is BWS before the next ';', never before the CRLF.
                    state = HttpChars.IsWhitespace(b) ? CountLine(state)
                        : b == (byte)';' ? CountLine(State.ExtBeforeName)
                        : Fail(Http1Error.InvalidChunkSize);
                    continue;
                case State.SizeLf:
                    if (b != (byte)'\n')
                    {
                        state = Fail(Http1Error.InvalidChunkSize);
                        continue;
                    }
                    state = _remaining == 0 ? State.TrailerLineStart : State.Data;
                    continue;
                case State.DataCr:
                    state = b == (byte)'\r' ? State.DataLf : Fail(Http1Error.InvalidChunkFraming);
                    continue;
                case State.DataLf:
                    state = b == (byte)'\n' ? State.SizeStart : Fail(Http1Error.InvalidChunkFraming);
                    continue;
                case State.TrailerLineStart:
                    if (b == (byte)'\r')
                    {
                        if (run >= 0)
                        {
                            // The lines so far go out first; the CR of the empty line is read again next call.
                            _state = state;
                            return TrailerRun(run, i - 1, out consumed, out dataOffset, out dataLength);
                        }
                        state = CountTrailer(State.EndLf);
                    }
                    else
                    {
                        // A trailer line is a field line: no obs-fold, a token name, a colon (RFC 9112 section 7.1.2).
                        state = HttpChars.IsTokenChar(b) ? CountTrailer(State.TrailerName) : Fail(Http1Error.InvalidChunkFraming);
                        if (KeepTrailers && run < 0)
                        {
                            run = i - 1;
                        }
                    }
                    continue;
                case State.TrailerName:
                    state = HttpChars.IsTokenChar(b) ? CountTrailer(state) : b == (byte)':' ? CountTrailer(State.TrailerValue) : Fail(Http1Error.InvalidChunkFraming);
                    continue;
                case State.TrailerValue:
                    state = b == (byte)'\r' ? CountTrailer(State.TrailerLf)
                        : HttpChars.InvalidFieldValue.Contains(b) ? Fail(Http1Error.InvalidChunkFraming)
                        : CountTrailer(state);
                    continue;
                case State.TrailerLf:
                    state = b == (byte)'\n' ? CountTrailer(State.TrailerLineStart) : Fail(Http1Error.InvalidChunkFraming);
                    continue;
                case State.EndLf:
                    state = b == (byte)'\n' ? State.Complete : Fail(Http1Error.InvalidChunkFraming);
                    continue;
            }
        }
        _state = state;
        if (run >= 0)
        {
            return TrailerRun(run, input.Length, out consumed, out dataOffset, out dataLength);
        }
        consumed = input.Length;
        return Http1ChunkStatus.NeedMoreData;
    }

    /// <summary>
    /// Reads a size line of 1 to <see cref="PlainSizeDigits"/> hex digits and its CRLF, whole from
    /// <paramref name="i"/>, as the SizeStart to SizeLf states would; the state to go on in, still
    /// SizeStart (and <paramref name="i"/> unmoved) for any other line.
    /// </summary>
    private State PlainSizeLine(ReadOnlySpan<byte> input, ref int i)
    {
        int start = i;
        int end = Math.Min(input.Length, start + PlainSizeDigits);
        int j = start;
        long size = 0;
        while (j < end)
        {
            int digit = HexValue(input[j]);
            if (digit < 0)
            {
                break;
            }
            size = (size << 4) | (uint)digit;
            j++;
        }
        if (j == start || j + 1 >= input.Length || input[j] != (byte)'\r' || input[j + 1] != (byte)'\n')
        {
            return State.SizeStart;
        }
        _sizeDigits = j - start;
        _lineBytes = 0;
        _remaining = size;
        i = j + 2;
        return size == 0 ? State.TrailerLineStart : State.Data;
    }

    private static Http1ChunkStatus TrailerRun(int start, int end, out int consumed, out int dataOffset, out int dataLength)
    {
        dataOffset = start;
        dataLength = end - start;
        consumed = end;
        return Http1ChunkStatus.Trailer;
    }

    /// <summary>Accumulates one hex digit of chunk-size; false for a non-digit or (with the state set to Failed) an overflow.</summary>
    private bool AddHexDigit(byte b)
    {
        int digit = HexValue(b);
        if (digit < 0)
        {
            return false;
        }
        // 16 hex digits already overflow a long at the top bit; a longer size (even with leading zeros) is refused.
        if (++_sizeDigits > 16 || _remaining > (long.MaxValue >> 4))
        {
            Fail(Http1Error.InvalidChunkSize);
            return false;
        }
        _remaining = (_remaining << 4) | (uint)digit;
        return true;
    }

    /// <summary>The byte after a size, an extension name or a token value: ';', CR, or whitespace (BWS).</summary>
    private State AfterSizeOrExt(byte b, State whitespaceState)
    {
        if (b == (byte)'\r')
        {
            return State.SizeLf;
        }
        if (b == (byte)';')
        {
            return CountLine(State.ExtBeforeName);
        }
        if (HttpChars.IsWhitespace(b))
        {
            return CountLine(whitespaceState);
        }
        return Fail(Http1Error.InvalidChunkSize);
    }

    private State CountLine(State next) => ++_lineBytes > MaxChunkLineBytes ? Fail(Http1Error.InvalidChunkSize) : next;

    private State CountTrailer(State next) => ++_trailerBytes > MaxTrailerBytes ? Fail(Http1Error.InvalidChunkFraming) : next;

    private State Fail(Http1Error error)
    {
        Error = error;
        _state = State.Failed;
        return State.Failed;
    }

    private static int HexValue(byte b)
    {
        uint d = (uint)(b - '0');
        if (d <= 9)
        {
            return (int)d;
        }
        uint l = (uint)((b | 0x20) - 'a');
        return l <= 5 ? (int)(l + 10) : -1;
    }
}
