using System.Runtime.CompilerServices;

namespace FastGate.Core.Sse;

/// <summary>
/// Whether the bytes of an event stream seen so far end at an event boundary (a blank line: LF LF,
/// CRLF CRLF, CR CR or any mix), so a proxy can end a stream where a client loses no half event
/// and its EventSource reconnects with the last whole event's id. Three flags, updated from the
/// tail of each piece: the run of line-ending bytes after the piece's last other byte is all that
/// decides it, found by walking back from the end, so the copy path pays almost nothing.
/// <para>
/// As in <see cref="SseEventReader"/>, a blank line ending in a CR is a boundary at once; an LF
/// that follows it belongs to that CRLF and keeps the boundary.
/// </para>
/// </summary>
public struct SseBoundary
{
    private bool _inLine;
    private bool _afterCr;
    private bool _atBoundary;

    /// <summary>A stream with nothing sent yet is at a boundary.</summary>
    public static SseBoundary Start => new() { _atBoundary = true };

    /// <summary>The bytes so far end with a blank line (or nothing was sent).</summary>
    public readonly bool AtBoundary => _atBoundary;

    /// <summary>Takes in the next piece of the stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(ReadOnlySpan<byte> bytes)
    {
        // An event's piece (a relayed stream's chunk is often exactly one event) ends in LF LF
        // after its last field's content: a boundary whatever came before, decided in three
        // compares where the walk back and the steps cost a call and a branch per byte.
        var n = bytes.Length;
        if (n >= 3 && bytes[n - 1] == (byte)'\n' && bytes[n - 2] == (byte)'\n' && bytes[n - 3] is not ((byte)'\r' or (byte)'\n'))
        {
            _inLine = false;
            _afterCr = false;
            _atBoundary = true;
            return;
        }
        AdvanceByTail(bytes);
    }

    private void AdvanceByTail(ReadOnlySpan<byte> bytes)
    {
        // Back from the end over the line endings: an event's piece ends in one or two of them, so
        // a plain loop finds its last other byte in a step or three, where a vectorized search
        // paid its setup on every piece (a chunk of a relayed stream is often one small event).
        var start = bytes.Length;
        while (start > 0 && bytes[start - 1] is (byte)'\r' or (byte)'\n')
        {
            start--;
        }
        if (start > 0)
        {
            _inLine = true;
            _afterCr = false;
            _atBoundary = false;
        }
        for (var i = start; i < bytes.Length; i++)
        {
            Step(bytes[i]);
        }
    }

    /// <summary>
    /// How many bytes of <paramref name="bytes"/> end the stream at the first boundary in it (an
    /// LF that completes the boundary's CRLF included, when it is there); -1 when it has none. The
    /// state advances over the bytes it looked at.
    /// </summary>
    public int AdvanceToBoundary(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            Step(bytes[i]);
            if (_atBoundary)
            {
                if (_afterCr && i + 1 < bytes.Length && bytes[i + 1] == (byte)'\n')
                {
                    _afterCr = false;
                    return i + 2;
                }
                return i + 1;
            }
        }
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Step(byte b)
    {
        if (b == (byte)'\n' && _afterCr)
        {
            // The LF of a CRLF: the line ended at the CR.
            _afterCr = false;
            return;
        }
        if (b is (byte)'\r' or (byte)'\n')
        {
            // A line ending: after an empty line it dispatches an event; after a line with
            // content it only ends that line.
            _atBoundary = !_inLine;
            _inLine = false;
            _afterCr = b == (byte)'\r';
            return;
        }
        _inLine = true;
        _afterCr = false;
        _atBoundary = false;
    }
}
