namespace FastGate.Core.Http1;

/// <summary>
/// Where a search for the end of a head stopped, so the next search over the same buffer (grown by a
/// read) resumes there instead of rescanning from the start: a client trickling a 32 KiB head one byte
/// per read would otherwise cost quadratic CPU.
/// </summary>
/// <remarks>
/// Offsets are from the start of the buffer passed to <see cref="Http1Parser.TryFindRequestHeadEnd"/>: keep
/// the state while that start stays put (the pipe was advanced to <c>buffer.Start</c>), and
/// <see cref="Reset"/> it whenever bytes before it are consumed. <c>default</c> is the state of a fresh search.
/// </remarks>
public struct Http1HeadScanState
{
    /// <summary>Bytes scanned so far: the next scan starts here.</summary>
    internal int Offset;
    /// <summary>Offset of the current line's first byte.</summary>
    internal int LineStart;
    /// <summary>A non-empty line has ended: the start line is behind us.</summary>
    internal bool StartLineDone;
    /// <summary>The start line has been checked as a request line.</summary>
    internal bool StartLineChecked;
    /// <summary>The last byte scanned was CR.</summary>
    internal bool PrevCr;
    /// <summary>Offset and length (without CRLF) of the start line, once <see cref="StartLineDone"/>.</summary>
    internal int StartLineStart, StartLineLength;
    private long _scannedBytes;

    /// <summary>Every byte handed to the line scan over the life of this state (each is handed over once).</summary>
    public readonly long ScannedBytes => _scannedBytes;

    /// <summary>No byte has been scanned since the last <see cref="Reset"/>: the one-pass parse may still be tried.</summary>
    public readonly bool IsFresh => Offset == 0;

    /// <summary>Starts a fresh search, for a buffer that now begins somewhere else.</summary>
    public void Reset() => this = default;

    /// <summary>
    /// Scans <paramref name="segment"/>, the bytes that follow the <see cref="Offset"/> already scanned.
    /// True with <paramref name="headLength"/> at the empty line that ends the head; false with an error, or
    /// with none when the head goes on past the segment.
    /// </summary>
    /// <remarks>
    /// Lines are found with a vectorised search for LF; each LF must follow a CR, so a head written with bare
    /// LF endings fails on its first line instead of waiting for the size limit.
    /// </remarks>
    internal bool Scan(ReadOnlySpan<byte> segment, int maxHeadBytes, int maxStartLineBytes, out int headLength, out Http1Error error)
    {
        headLength = 0;
        _scannedBytes += segment.Length;
        if (PrevCr && segment.Length > 0 && segment[0] != (byte)'\n')
        {
            error = Http1Error.BareLineEnding;
            return false;
        }
        int i = 0;
        while (true)
        {
            int rel = segment[i..].IndexOf((byte)'\n');
            if (rel < 0)
            {
                // A CR inside the unfinished line (the last byte may still be followed by LF) never ends well.
                if (segment.Length - i > 1 && segment[i..^1].Contains((byte)'\r'))
                {
                    error = Http1Error.BareLineEnding;
                    return false;
                }
                break;
            }
            int p = i + rel;
            // A lone CR inside the line (RFC 9112 section 2.2): reject now rather than wait for the size limit.
            if (rel > 1 && segment.Slice(i, rel - 1).Contains((byte)'\r'))
            {
                error = Http1Error.BareLineEnding;
                return false;
            }
            bool crBefore = p > 0 ? segment[p - 1] == (byte)'\r' : PrevCr;
            if (!crBefore)
            {
                error = Http1Error.BareLineEnding;
                return false;
            }
            int abs = Offset + p;
            int lineLength = abs - 1 - LineStart;
            if (lineLength == 0)
            {
                if (StartLineDone)
                {
                    headLength = abs + 1;
                    error = headLength > maxHeadBytes ? Http1Error.HeadTooLarge : Http1Error.None;
                    return error == Http1Error.None;
                }
                // An empty line before the start line: skipped (RFC 9112 section 2.2).
            }
            else if (!StartLineDone)
            {
                if (lineLength > maxStartLineBytes)
                {
                    error = Http1Error.RequestLineTooLong;
                    return false;
                }
                StartLineDone = true;
                StartLineStart = LineStart;
                StartLineLength = lineLength;
            }
            LineStart = abs + 1;
            i = p + 1;
        }
        if (segment.Length > 0)
        {
            PrevCr = segment[^1] == (byte)'\r';
        }
        Offset += segment.Length;
        error = Http1Error.None;
        return false;
    }

    /// <summary>No head end in the scanned bytes: decides between "need more" and a size error.</summary>
    internal readonly Http1Error Finish(long available, int maxHeadBytes, int maxStartLineBytes)
    {
        int pendingLine = Offset - LineStart - (PrevCr ? 1 : 0);
        if (!StartLineDone && pendingLine > maxStartLineBytes)
        {
            return Http1Error.RequestLineTooLong;
        }
        // Everything up to the limit was scanned and no empty line ended the head.
        return available > maxHeadBytes ? Http1Error.HeadTooLarge : Http1Error.None;
    }
}
