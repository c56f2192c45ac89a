using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Sse;

namespace FastGate.Core.Tests.Sse;

/// <summary>Feeds event streams to <see cref="SseEventReader"/> and writes what comes out as comparable text.</summary>
internal static class SseTestHelpers
{
    /// <summary>One byte per char (latin-1), so "\u00EF" in a test is the byte 0xEF.</summary>
    public static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    public static string Text(ReadOnlySpan<byte> s) => Encoding.Latin1.GetString(s);

    /// <summary>
    /// The fields of an event, leaving out what is absent: "event=T id=I data=D retry=N comment". A block with only
    /// ignored values of known fields describes as "".
    /// </summary>
    public static string Describe(in SseEvent e)
    {
        var parts = new List<string>();
        if (!e.EventType.IsEmpty) parts.Add("event=" + Text(e.EventType));
        if (e.HasId) parts.Add("id=" + Text(e.Id));
        else Assert.True(e.Id.IsEmpty);
        if (e.HasData) parts.Add("data=" + Text(e.Data));
        else Assert.True(e.Data.IsEmpty);
        if (e.Retry >= 0) parts.Add("retry=" + e.Retry);
        else Assert.Equal(-1, e.Retry);
        if (e.IsCommentOnly) parts.Add("comment");
        return string.Join(' ', parts);
    }

    public sealed record Result(List<string> Events, List<string> Raws, string Pending, bool TooLarge);

    /// <summary>Appends the stream in pieces of the given lengths, reading every block after each piece.</summary>
    public static Result Feed(byte[] stream, IEnumerable<int> pieceLengths, int maxEventBytes = SseEventReader.DefaultMaxEventBytes)
    {
        var reader = new SseEventReader(maxEventBytes);
        var result = Feed(reader, stream, pieceLengths);
        reader.Release();
        return result;
    }

    public static Result Feed(SseEventReader reader, byte[] stream, IEnumerable<int> pieceLengths)
    {
        var events = new List<string>();
        var raws = new List<string>();
        foreach (var cut in Cut(stream, pieceLengths))
        {
            reader.Append(cut.Span);
            while (reader.TryRead(out SseEvent e))
            {
                events.Add(Describe(e));
                raws.Add(Text(e.Raw));
            }
        }
        return new Result(events, raws, Text(reader.Pending), reader.TooLarge);
    }

    /// <summary>
    /// As <see cref="Feed(byte[], IEnumerable{int}, int)"/>, each piece handed over in a buffer the reader may take
    /// (<see cref="SseEventReader.Append(PooledByteBuffer)"/>), as the proxy hands it a decoded read; checks that the
    /// blocks read from one piece are the bytes between the positions around them.
    /// </summary>
    public static Result FeedBuffers(byte[] stream, IEnumerable<int> pieceLengths)
    {
        var reader = new SseEventReader();
        var piece = new PooledByteBuffer();
        var events = new List<string>();
        var raws = new List<string>();
        foreach (var cut in Cut(stream, pieceLengths))
        {
            piece.Clear();
            piece.Write(cut.Span);
            reader.Append(piece);
            // Taken (left empty) or copied (left as it was).
            Assert.True(piece.Length == 0 || piece.WrittenSpan.SequenceEqual(cut.Span));
            int from = reader.Position;
            var read = new StringBuilder();
            while (reader.TryRead(out SseEvent e))
            {
                events.Add(Describe(e));
                raws.Add(Text(e.Raw));
                read.Append(Text(e.Raw));
            }
            Assert.Equal(read.ToString(), Text(reader.Blocks(from, reader.Position)));
        }
        var result = new Result(events, raws, Text(reader.Pending), reader.TooLarge);
        reader.Release();
        piece.Release();
        return result;
    }

    /// <summary>
    /// <paramref name="stream"/> cut in pieces of the given lengths, in order; the last piece takes what the lengths
    /// leave, and a length past the end is cut short.
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Cut(byte[] stream, IEnumerable<int> pieceLengths)
    {
        int offset = 0;
        using var lengths = pieceLengths.GetEnumerator();
        while (offset < stream.Length)
        {
            int length = lengths.MoveNext() ? Math.Min(lengths.Current, stream.Length - offset) : stream.Length - offset;
            yield return stream.AsMemory(offset, length);
            offset += length;
        }
    }

    /// <summary>Whole, split in two at every byte, byte by byte, and in small random pieces.</summary>
    public static IEnumerable<(string Name, IEnumerable<int> Pieces)> Splits(int length)
    {
        yield return ("whole", [length]);
        for (int k = 1; k < length; k++)
        {
            yield return ($"split at {k}", [k, length - k]);
        }
        yield return ("byte by byte", Enumerable.Repeat(1, length));
        for (int seed = 0; seed < 3; seed++)
        {
            var random = new Random(seed);
            yield return ($"random pieces {seed}", Enumerable.Range(0, length).Select(_ => random.Next(1, 6)));
        }
    }

    /// <summary>
    /// Raw blocks as if the stream had come whole: a block that ended at a CR, the last byte of a piece, leaves the LF
    /// of that CRLF at the start of the next block (or of Pending); this moves it back.
    /// </summary>
    public static (List<string> Raws, string Pending) JoinSplitCrLf(List<string> raws, string pending)
    {
        var joined = new List<string>(raws);
        for (int i = 1; i < joined.Count; i++)
        {
            if (joined[i - 1].EndsWith('\r') && joined[i].StartsWith('\n'))
            {
                joined[i - 1] += "\n";
                joined[i] = joined[i][1..];
            }
        }
        if (joined.Count > 0 && joined[^1].EndsWith('\r') && pending.StartsWith('\n'))
        {
            joined[^1] += "\n";
            pending = pending[1..];
        }
        return (joined, pending);
    }
    /// <summary>
    /// The spec's algorithm written plainly over a whole string (WHATWG HTML 9.2.6), to check the reader against:
    /// the events as <see cref="Describe"/> writes them, the raw blocks, and the unfinished tail.
    /// </summary>
    public static (List<string> Events, List<string> Raws, string Pending) Reference(string stream)
    {
        var events = new List<string>();
        var raws = new List<string>();
        int blockStart = 0;
        int pos = stream.StartsWith("\u00EF\u00BB\u00BF", StringComparison.Ordinal) ? 3 : 0;
        string type = "";
        string? id = null;
        var data = new List<string>();
        long retry = -1;
        bool known = false;
        while (true)
        {
            int eol = stream.IndexOfAny(['\r', '\n'], pos);
            if (eol < 0)
            {
                break;
            }
            string line = stream[pos..eol];
            pos = stream[eol] == '\r' && eol + 1 < stream.Length && stream[eol + 1] == '\n' ? eol + 2 : eol + 1;
            if (line.Length == 0)
            {
                var parts = new List<string>();
                if (type.Length > 0) parts.Add("event=" + type);
                if (id != null) parts.Add("id=" + id);
                if (data.Count > 0) parts.Add("data=" + string.Join('\n', data));
                if (retry >= 0) parts.Add("retry=" + retry);
                if (!known) parts.Add("comment");
                events.Add(string.Join(' ', parts));
                raws.Add(stream[blockStart..pos]);
                blockStart = pos;
                (type, id, retry, known) = ("", null, -1, false);
                data.Clear();
                continue;
            }
            if (line[0] == ':')
            {
                continue;
            }
            int colon = line.IndexOf(':');
            string name = colon < 0 ? line : line[..colon];
            string value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }
            switch (name)
            {
                case "event": known = true; type = value; break;
                case "data": known = true; data.Add(value); break;
                case "id": known = true; if (!value.Contains('\0')) id = value; break;
                case "retry":
                    known = true;
                    if (value.Length > 0 && value.All(char.IsAsciiDigit) && long.TryParse(value, out long r)) retry = r;
                    break;
            }
        }
        return (events, raws, stream[blockStart..]);
    }
}
