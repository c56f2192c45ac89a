using System.Diagnostics;
using System.Net.Sockets;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// One keep-alive HTTP/1.1 connection sending streamed chat completions back to back: the same
/// POST each time, then the response read on the raw socket, its chunked body de-framed in
/// place and its SSE events counted as they end (a blank line). Per request it records the
/// time to the first event with content (a non-empty <c>"content":"</c> or <c>"text":"</c>) and
/// to the end of the body. One loop owns the connection; nothing is allocated per event.
/// </summary>
internal sealed class AiConnection : IDisposable
{
    private static ReadOnlySpan<byte> ContentKey => "\"content\":\""u8;
    private static ReadOnlySpan<byte> TextKey => "\"text\":\""u8;
    private static ReadOnlySpan<byte> DeltaKey => "\"delta\":\""u8;

    private readonly Target _target;
    private readonly byte[] _request;
    private readonly byte[] _buffer;
    // The de-chunked body not yet split into events.
    private readonly byte[] _events;
    private Socket? _socket;
    private int _eventsLength;

    public AiConnection(Target target, byte[] request, int bufferSize)
    {
        _target = target;
        _request = request;
        _buffer = new byte[bufferSize];
        _events = new byte[bufferSize * 4];
    }

    public LatencyHistogram Ttft { get; } = new();
    public LatencyHistogram Latency { get; } = new();
    public long Requests;
    public long RequestsTotal;
    public long Events;
    public long EventsTotal;
    public long Errors;
    public string? FirstError;

    /// <summary>Sends requests until <paramref name="stopAt"/>; those that start at or after <paramref name="measureFrom"/> and end before the stop are recorded.</summary>
    public async Task RunAsync(long measureFrom, long stopAt)
    {
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var start = Stopwatch.GetTimestamp();
            long first = 0;
            var events = 0;
            try
            {
                _socket ??= await _target.ConnectAsync(CancellationToken.None);
                await _socket.SendAsync(_request, SocketFlags.None);
                (first, events) = await ReadResponseAsync(_socket);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Errors++;
                FirstError ??= e.Message;
                _socket?.Dispose();
                _socket = null;
                continue;
            }
            var end = Stopwatch.GetTimestamp();
            EventsTotal += events;
            RequestsTotal++;
            if (start >= measureFrom && end <= stopAt)
            {
                Requests++;
                Events += events;
                Latency.Record(Report.Nanoseconds(end - start));
                if (first > 0)
                {
                    Ttft.Record(Report.Nanoseconds(first - start));
                }
            }
        }
    }

    private async Task<(long FirstContent, int Events)> ReadResponseAsync(Socket socket)
    {
        var head = await HttpHead.ReadAsync(socket, _buffer, CancellationToken.None);
        if (head.Status != 200)
        {
            throw new IOException($"status {head.Status}");
        }
        if (head.Framing != BodyFraming.Chunked)
        {
            throw new IOException($"expected a chunked event stream, got framing {head.Framing}");
        }
        _eventsLength = 0;
        long first = 0;
        var events = 0;
        var pos = head.HeadLength;
        var read = head.Read;
        long chunkLeft = 0;
        var state = ChunkState.Size;
        while (true)
        {
            // De-chunk what is in the buffer into _events, then split off whole events.
            while (pos < read)
            {
                switch (state)
                {
                    case ChunkState.Size:
                    {
                        var eol = _buffer.AsSpan(pos, read - pos).IndexOf("\r\n"u8);
                        if (eol < 0)
                        {
                            goto NeedMore;
                        }
                        chunkLeft = ParseHex(_buffer.AsSpan(pos, eol));
                        pos += eol + 2;
                        state = chunkLeft == 0 ? ChunkState.Trailer : ChunkState.Data;
                        break;
                    }
                    case ChunkState.Data:
                    {
                        var n = (int)Math.Min(chunkLeft, read - pos);
                        if (_eventsLength + n > _events.Length)
                        {
                            throw new IOException("an SSE event larger than the event buffer");
                        }
                        _buffer.AsSpan(pos, n).CopyTo(_events.AsSpan(_eventsLength));
                        _eventsLength += n;
                        pos += n;
                        chunkLeft -= n;
                        if (chunkLeft == 0)
                        {
                            state = ChunkState.DataEnd;
                        }
                        SplitEvents(ref first, ref events);
                        break;
                    }
                    case ChunkState.DataEnd:
                        if (read - pos < 2)
                        {
                            goto NeedMore;
                        }
                        pos += 2;
                        state = ChunkState.Size;
                        break;
                    case ChunkState.Trailer:
                        if (read - pos < 2)
                        {
                            goto NeedMore;
                        }
                        // No trailers are sent on these streams: the last CRLF ends the body.
                        if (read - pos > 2)
                        {
                            throw new IOException("bytes after the end of a response");
                        }
                        return (first, events);
                }
            }
        NeedMore:
            // Keep the unparsed tail at the front of the buffer and read more after it.
            var left = read - pos;
            if (left > 0 && pos > 0)
            {
                _buffer.AsSpan(pos, left).CopyTo(_buffer);
            }
            pos = 0;
            read = left;
            var got = await socket.ReceiveAsync(_buffer.AsMemory(read), SocketFlags.None);
            if (got == 0)
            {
                throw new IOException("connection closed mid-response");
            }
            read += got;
        }
    }

    private void SplitEvents(ref long first, ref int events)
    {
        var span = _events.AsSpan(0, _eventsLength);
        var consumed = 0;
        while (true)
        {
            var end = span[consumed..].IndexOf("\n\n"u8);
            if (end < 0)
            {
                break;
            }
            var e = span.Slice(consumed, end);
            consumed += end + 2;
            events++;
            if (first == 0 && HasContent(e))
            {
                first = Stopwatch.GetTimestamp();
            }
        }
        if (consumed > 0)
        {
            span[consumed..].CopyTo(_events);
            _eventsLength -= consumed;
        }
    }

    private static bool HasContent(ReadOnlySpan<byte> e) =>
        NonEmptyAfter(e, ContentKey) || NonEmptyAfter(e, TextKey) || NonEmptyAfter(e, DeltaKey);

    private static bool NonEmptyAfter(ReadOnlySpan<byte> e, ReadOnlySpan<byte> key)
    {
        var at = e.IndexOf(key);
        return at >= 0 && at + key.Length < e.Length && e[at + key.Length] != (byte)'"';
    }

    private static long ParseHex(ReadOnlySpan<byte> text)
    {
        long value = 0;
        foreach (var b in text)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                (byte)';' or (byte)' ' => -1,
                _ => throw new IOException("bad chunk size"),
            };
            if (digit < 0)
            {
                break;
            }
            value = value * 16 + digit;
        }
        return value;
    }

    public void Dispose() => _socket?.Dispose();

    private enum ChunkState : byte
    {
        Size,
        Data,
        DataEnd,
        Trailer,
    }
}
