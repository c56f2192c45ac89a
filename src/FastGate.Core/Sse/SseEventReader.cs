using System.Buffers;
using System.Diagnostics;
using FastGate.Core.Buffers;

namespace FastGate.Core.Sse;

/// <summary>
/// Incremental reader of a <c>text/event-stream</c> body (WHATWG HTML, "Server-sent events", the event stream
/// format): body bytes arrive in pieces split at any byte, and whole blocks (lines up to a blank line) come out as
/// <see cref="SseEvent"/> views. Reused per response; after its buffers have grown it allocates nothing.
/// </summary>
/// <remarks>
/// <code>
/// stream        = [ bom ] *event
/// event         = *( comment / field ) end-of-line
/// comment       = colon *any-char end-of-line
/// field         = 1*name-char [ colon [ space ] *any-char ] end-of-line
/// end-of-line   = ( cr lf / cr / lf )
/// </code>
/// The caller appends a piece and then calls <see cref="TryRead"/> until it returns false; what is left is one
/// unfinished block, in <see cref="Pending"/>. The scan for the blank line resumes where it stopped, so a block
/// fed byte by byte costs no more than one fed whole. A block that ends with a CR as the last byte appended is
/// handed out at once (an SSE stream must not wait for its next event), and an LF that then starts the next piece
/// is taken as the rest of that CRLF, never as a blank line.
/// <para>
/// A block is bounded by <c>maxEventBytes</c> (the bytes before its blank line), so an upstream that never sends a
/// blank line cannot make the proxy buffer without limit: the reader then reports <see cref="TooLarge"/>, keeps
/// what it has in <see cref="Pending"/> and ignores further appends until <see cref="Reset"/>. The caller forwards
/// Pending and the rest of the body unparsed, or ends the stream.
/// </para>
/// Not thread-safe: one response's loop owns it.
/// </remarks>
public sealed class SseEventReader
{
    /// <summary>Largest block accepted when the constructor is given no limit.</summary>
    public const int DefaultMaxEventBytes = 1024 * 1024;

    private enum State : byte
    {
        /// <summary>Nothing read yet: the stream may open with a UTF-8 BOM, which is no part of the first line.</summary>
        StreamStart,
        /// <summary>At the start of a line; a CR or LF here is the blank line that ends the block.</summary>
        LineStart,
        /// <summary>Just after a CR that ended a line: an LF here belongs to it.</summary>
        AfterCr,
        /// <summary>Inside a line; only its end is looked for.</summary>
        InLine,
        /// <summary>The block passed the limit; nothing more is read.</summary>
        TooLarge,
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private readonly int _maxEventBytes;
    private readonly PooledByteBuffer _buffer = new();
    private readonly PooledByteBuffer _data = new();
    private State _state;
    // Offsets into _buffer: the current block's first byte, the first byte of its first line (after a BOM or the
    // LF of a CRLF split from the previous block), and where the scan for the blank line stopped.
    private int _start;
    private int _lineStart;
    private int _scan;
    // Lines of the current block found so far (its blank line aside): one, the usual SSE event, is read without a
    // second search for its end.
    private int _lines;

    public SseEventReader(int maxEventBytes = DefaultMaxEventBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEventBytes);
        _maxEventBytes = maxEventBytes;
    }

    /// <summary>The bytes of the unfinished block: what to forward as-is if the body ends without a last blank line.</summary>
    public ReadOnlySpan<byte> Pending => _buffer.WrittenSpan[_start..];

    /// <summary>
    /// Where the next block starts in the reader's buffer. Between two Appends the blocks read lie back to back,
    /// so a caller that passes several of them on unchanged can take them as one span (<see cref="Blocks"/>).
    /// </summary>
    public int Position => _start;

    /// <summary>The raw bytes of the blocks read between two <see cref="Position"/>s taken since the last Append.</summary>
    public ReadOnlySpan<byte> Blocks(int from, int to) => _buffer.WrittenSpan[from..to];

    /// <summary>
    /// The whole blocks buffered from <see cref="Position"/> on, back to back as one span, up to the last LF blank
    /// line (an LF right after an LF, which always ends a block): when no BOM or half CRLF is pending before them and
    /// they have no more bytes in all than one block may have. Empty otherwise, and TryRead finds them one by one.
    /// A block among them may have CR line ends: every LF LF in the span ends a block, but a CR or CR CR may end a
    /// line or a block too. A caller that has what it needs from their raw bytes moves past a leading run of them
    /// with <see cref="Skip"/> instead of reading each; one that splits them at LF LF takes only blocks without a CR.
    /// (Searching the span for a CR here was a pass over every read; the caller's own pass over a block finds it.)
    /// </summary>
    public ReadOnlySpan<byte> WholeBlocks()
    {
        if (_state is not (State.LineStart or State.StreamStart) || _scan != _start || _lineStart != _start)
        {
            return default;
        }
        ReadOnlySpan<byte> rest = _buffer.WrittenSpan[_start..];
        if (_state == State.StreamStart && Utf8Bom.StartsWith(rest[..Math.Min(rest.Length, Utf8Bom.Length)]))
        {
            // A BOM, or what may still become one, is for TryRead to skip.
            return default;
        }
        // An LF followed by an LF: the first ends a line (or is a blank line), so the second is a blank line, and
        // everything up to it is whole blocks.
        int last = rest.LastIndexOf("\n\n"u8);
        if (last < 0 || last + 2 > _maxEventBytes)
        {
            return default;
        }
        return rest[..(last + 2)];
    }

    /// <summary>
    /// Counts the first <paramref name="length"/> bytes of <see cref="WholeBlocks"/> as read; they must end where
    /// one of its blocks ends. They stay in the buffer until the next Append, for <see cref="Blocks"/>.
    /// </summary>
    public void Skip(int length)
    {
        if (length <= 0)
        {
            return;
        }
        Debug.Assert(_buffer.WrittenSpan[_start + length - 1] == (byte)'\n');
        _start += length;
        _scan = _start;
        _lineStart = _start;
        _lines = 0;
        _state = State.LineStart;
    }

    /// <summary>The pending block passed maxEventBytes; <see cref="TryRead"/> returns false until <see cref="Reset"/>.</summary>
    public bool TooLarge => _state == State.TooLarge;

    /// <summary>Adds body bytes. Invalidates the last <see cref="SseEvent"/>. Ignored once <see cref="TooLarge"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_state == State.TooLarge || bytes.IsEmpty)
        {
            return;
        }
        if (_start > 0)
        {
            // Blocks already handed out are dropped here rather than in TryRead, so a piece holding many events
            // moves its unfinished tail once, not once per event.
            _buffer.Consume(_start);
            _scan -= _start;
            _lineStart -= _start;
            _start = 0;
        }
        _buffer.Write(bytes);
    }

    /// <summary>
    /// Adds the bytes <paramref name="bytes"/> holds. When no unfinished block is pending (a read that ended on an
    /// event's end, the usual case) the reader takes the buffer's array instead of copying it, and
    /// <paramref name="bytes"/> is left empty with the reader's old array. Invalidates the last <see cref="SseEvent"/>.
    /// </summary>
    public void Append(PooledByteBuffer bytes)
    {
        if (_state == State.TooLarge || bytes.Length == 0)
        {
            return;
        }
        if (_start != _buffer.Length)
        {
            Append(bytes.WrittenSpan);
            return;
        }
        // Every offset equals _start here: nothing of the old array is still needed.
        _buffer.Swap(bytes);
        bytes.Clear();
        _start = 0;
        _scan = 0;
        _lineStart = 0;
    }

    /// <summary>Adds body bytes held in a sequence, segment by segment.</summary>
    public void Append(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            Append(bytes.FirstSpan);
            return;
        }
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            Append(segment.Span);
        }
    }

    /// <summary>
    /// True when one whole block was available: <paramref name="sseEvent"/> is valid until the next Append, TryRead
    /// or Reset. False when the rest is an unfinished block (see <see cref="Pending"/>) or the reader is
    /// <see cref="TooLarge"/>.
    /// </summary>
    public bool TryRead(out SseEvent sseEvent)
    {
        if (!TryFindBlankLine(out int blankLine, out int end))
        {
            sseEvent = default;
            return false;
        }
        sseEvent = ReadFields(_buffer.WrittenSpan, _start, _lineStart, blankLine, end, _lines);
        _start = end;
        _lineStart = end;
        _lines = 0;
        return true;
    }

    /// <summary>Forgets everything, for the next response; keeps modest buffers.</summary>
    public void Reset()
    {
        _buffer.Clear();
        _data.Clear();
        _state = State.StreamStart;
        _start = 0;
        _lineStart = 0;
        _scan = 0;
        _lines = 0;
    }

    /// <summary>Resets and returns the buffers to the pool, so an idle reader holds no array.</summary>
    public void Release()
    {
        Reset();
        _buffer.Release();
        _data.Release();
    }

    /// <summary>
    /// Resumes the scan for the blank line that ends the current block. On success the block's blank line starts at
    /// <paramref name="blankLine"/> and the block ends at <paramref name="end"/> (after the blank line's CR, LF or CRLF).
    /// </summary>
    private bool TryFindBlankLine(out int blankLine, out int end)
    {
        ReadOnlySpan<byte> buffered = _buffer.WrittenSpan;
        int i = _scan;
        State state = _state;
        while (true)
        {
            switch (state)
            {
                case State.StreamStart:
                {
                    int n = Math.Min(buffered.Length - i, Utf8Bom.Length);
                    if (!buffered.Slice(i, n).SequenceEqual(Utf8Bom[..n]))
                    {
                        state = State.LineStart;
                        continue;
                    }
                    if (n < Utf8Bom.Length)
                    {
                        // Could still be a BOM; wait for its last byte.
                        goto NeedMore;
                    }
                    i += n;
                    _lineStart = i;
                    state = State.LineStart;
                    continue;
                }
                case State.AfterCr:
                    if (i == buffered.Length)
                    {
                        goto NeedMore;
                    }
                    if (buffered[i] == (byte)'\n')
                    {
                        if (i == _lineStart)
                        {
                            // The LF of a CRLF whose CR ended the previous block: part of this block's bytes, no line.
                            _lineStart = i + 1;
                        }
                        i++;
                    }
                    state = State.LineStart;
                    continue;
                case State.LineStart:
                {
                    if (i == buffered.Length)
                    {
                        goto NeedMore;
                    }
                    byte b = buffered[i];
                    if (b == (byte)'\n')
                    {
                        blankLine = i;
                        end = i + 1;
                    }
                    else if (b == (byte)'\r')
                    {
                        blankLine = i;
                        end = i + 1;
                        if (end == buffered.Length)
                        {
                            // Hand the block out now; an LF in the next piece is the rest of this CRLF.
                            state = State.AfterCr;
                        }
                        else if (buffered[end] == (byte)'\n')
                        {
                            end++;
                        }
                    }
                    else
                    {
                        state = State.InLine;
                        continue;
                    }
                    if (blankLine - _start > _maxEventBytes)
                    {
                        goto TooLarge;
                    }
                    _state = state;
                    _scan = end;
                    return true;
                }
                case State.InLine:
                {
                    int eol = buffered[i..].IndexOfAny((byte)'\r', (byte)'\n');
                    if (eol < 0)
                    {
                        i = buffered.Length;
                        goto NeedMore;
                    }
                    i += eol;
                    _lines++;
                    state = buffered[i] == (byte)'\r' ? State.AfterCr : State.LineStart;
                    i++;
                    continue;
                }
                default:
                    blankLine = end = 0;
                    return false;
            }
        }

    NeedMore:
        // Every pending byte lies before the blank line still to come, so the block is already too large.
        if (buffered.Length - _start > _maxEventBytes)
        {
            goto TooLarge;
        }
        _state = state;
        _scan = i;
        blankLine = end = 0;
        return false;

    TooLarge:
        _state = State.TooLarge;
        blankLine = end = 0;
        return false;
    }

    /// <summary>Interprets the lines of a whole block (WHATWG HTML 9.2.6, "process the field").</summary>
    private SseEvent ReadFields(ReadOnlySpan<byte> buffered, int start, int lineStart, int blankLine, int end, int lines)
    {
        ReadOnlySpan<byte> eventType = default;
        ReadOnlySpan<byte> id = default;
        ReadOnlySpan<byte> data = default;
        bool hasId = false;
        int dataLines = 0;
        long retry = -1;
        bool known = false;

        ReadOnlySpan<byte> rest = buffered[lineStart..blankLine];
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> line;
            if (lines == 1)
            {
                // The block's one line ends where the block's bytes before the blank line end: CRLF, CR or LF.
                line = rest[..^(rest.Length > 1 && rest[^1] == (byte)'\n' && rest[^2] == (byte)'\r' ? 2 : 1)];
                rest = default;
            }
            else
            {
                // Every line before the blank line is whole, so its end is in the block.
                int eol = rest.IndexOfAny((byte)'\r', (byte)'\n');
                line = rest[..eol];
                rest = rest[(rest[eol] == (byte)'\r' && eol + 1 < rest.Length && rest[eol + 1] == (byte)'\n' ? eol + 2 : eol + 1)..];
            }

            if (line[0] == (byte)':')
            {
                continue;
            }
            ReadOnlySpan<byte> name = line;
            ReadOnlySpan<byte> value = default;
            int colon = line.IndexOf((byte)':');
            if (colon >= 0)
            {
                name = line[..colon];
                value = line[(colon + 1)..];
                // One space after the colon is syntax; a second is part of the value.
                if (!value.IsEmpty && value[0] == (byte)' ')
                {
                    value = value[1..];
                }
            }

            switch (name.Length)
            {
                case 4 when name.SequenceEqual("data"u8):
                    known = true;
                    if (++dataLines == 1)
                    {
                        data = value;
                    }
                    else
                    {
                        if (dataLines == 2)
                        {
                            // Emptied without Clear: the join buffer keeps its array for the whole response.
                            _data.Consume(_data.Length);
                            _data.Write(data);
                        }
                        _data.Write("\n"u8);
                        _data.Write(value);
                    }
                    break;
                case 5 when name.SequenceEqual("event"u8):
                    known = true;
                    eventType = value;
                    break;
                case 2 when name.SequenceEqual("id"u8):
                    known = true;
                    // An id with NUL is ignored: a client could not send it back in Last-Event-ID.
                    if (!value.Contains((byte)0))
                    {
                        id = value;
                        hasId = true;
                    }
                    break;
                case 5 when name.SequenceEqual("retry"u8):
                    known = true;
                    if (TryParseRetry(value, out long milliseconds))
                    {
                        retry = milliseconds;
                    }
                    break;
            }
        }

        if (dataLines > 1)
        {
            data = _data.WrittenSpan;
        }
        return new SseEvent(buffered[start..end], eventType, id, hasId, data, dataLines > 0, retry, !known);
    }

    /// <summary>Only ASCII digits, at least one, fitting a long; anything else leaves the reconnection time alone.</summary>
    private static bool TryParseRetry(ReadOnlySpan<byte> value, out long milliseconds)
    {
        milliseconds = 0;
        if (value.IsEmpty)
        {
            return false;
        }
        foreach (byte b in value)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9 || milliseconds > (long.MaxValue - digit) / 10)
            {
                return false;
            }
            milliseconds = milliseconds * 10 + digit;
        }
        return true;
    }
}
