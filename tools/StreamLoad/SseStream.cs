using System.Buffers.Text;
using System.Net.Sockets;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// One Server-Sent Events stream on a raw socket: the request, the 200 text/event-stream head,
/// then the body (chunked, sized or until close) fed through a chunk decoder into a line scanner
/// that only keeps what the check needs: whether a line is blank, and the value of <c>id:</c>.
/// Events are counted when a blank line ends them; each id must be the previous one plus one.
/// No line is buffered whole, so a read may split anything anywhere at no cost. One loop owns it;
/// the counters are read by the reporting thread without locks (64-bit reads, figures only).
/// </summary>
internal sealed class SseStream : IDisposable
{
    // Enough for "data: N t=T" of a stamped event (an id and a clock reading in nanoseconds).
    private const int PrefixCapacity = 48;

    private readonly Socket _socket;
    private readonly byte[] _buffer;
    private readonly byte[] _linePrefix = new byte[PrefixCapacity];
    private int _prefixLength;
    private int _lineLength;
    private bool _afterCr;
    private bool _eventHasField;
    private long _pendingId = -1;
    private long _pendingStamp = -1;

    private readonly BodyFraming _framing;
    private long _remaining;
    private ChunkState _chunk;
    private bool _finished;

    private SseStream(Socket socket, byte[] buffer, in HttpHead head)
    {
        _socket = socket;
        _buffer = buffer;
        _framing = head.Framing;
        _remaining = head.ContentLength;
        _chunk = ChunkState.Size;
    }

    private enum ChunkState : byte
    {
        Size,
        Extension,
        Data,
        DataEnd,
        Trailer,
    }

    /// <summary>Events seen (each ended by a blank line).</summary>
    public long Events;

    /// <summary>Events whose id skipped ahead of the previous one plus one.</summary>
    public long Gaps;

    /// <summary>Events whose id was not above the previous one.</summary>
    public long OutOfOrder;

    /// <summary>The last id seen; 0 before the first.</summary>
    public long LastId;

    /// <summary>Stopwatch timestamp of the last event.</summary>
    public long LastEventAt;

    /// <summary>
    /// When set, each event whose data line carries the mock's <c>t=T</c> stamp records how long
    /// it took from the origin's write to here (same host, one monotonic clock).
    /// </summary>
    public volatile LatencyHistogram? Delays;

    public static async Task<SseStream> OpenAsync(Target target, int bufferSize, CancellationToken cancel)
    {
        var socket = await target.ConnectAsync(cancel);
        try
        {
            await socket.SendAsync(target.RequestHead("Accept: text/event-stream\r\nCache-Control: no-cache\r\n"), SocketFlags.None, cancel);
            var buffer = new byte[Math.Max(bufferSize, 1024)];
            var head = await HttpHead.ReadAsync(socket, buffer, cancel);
            if (head.Status != 200)
            {
                throw new IOException($"the stream was answered {head.Status}, not 200");
            }
            if (head.ContentType is null || !head.ContentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"content type '{head.ContentType}' is not text/event-stream");
            }
            var stream = new SseStream(socket, buffer, head) { LastEventAt = System.Diagnostics.Stopwatch.GetTimestamp() };
            stream.Feed(buffer.AsSpan(head.HeadLength, head.Read - head.HeadLength));
            return stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads until the body ends (returns normally) or CANCEL (throws OperationCanceledException).</summary>
    public async Task ReadToEndAsync(CancellationToken cancel)
    {
        while (!_finished)
        {
            var n = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cancel);
            if (n == 0)
            {
                return;
            }
            Feed(_buffer.AsSpan(0, n));
        }
    }

    public void Dispose() => _socket.Dispose();

    private void Feed(ReadOnlySpan<byte> data)
    {
        switch (_framing)
        {
            case BodyFraming.UntilClose:
                Scan(data);
                return;
            case BodyFraming.ContentLength:
                var take = (int)Math.Min(_remaining, data.Length);
                Scan(data[..take]);
                _remaining -= take;
                _finished = _remaining == 0;
                return;
        }
        while (!data.IsEmpty && !_finished)
        {
            switch (_chunk)
            {
                case ChunkState.Size:
                    var b = data[0];
                    data = data[1..];
                    var digit = HexValue(b);
                    if (digit >= 0)
                    {
                        _remaining = _remaining * 16 + digit;
                    }
                    else if (b == '\n')
                    {
                        _chunk = _remaining == 0 ? ChunkState.Trailer : ChunkState.Data;
                    }
                    else if (b != '\r')
                    {
                        _chunk = ChunkState.Extension;
                    }
                    break;
                case ChunkState.Extension:
                    var lf = data.IndexOf((byte)'\n');
                    if (lf < 0)
                    {
                        return;
                    }
                    data = data[(lf + 1)..];
                    _chunk = _remaining == 0 ? ChunkState.Trailer : ChunkState.Data;
                    break;
                case ChunkState.Data:
                    var n = (int)Math.Min(_remaining, data.Length);
                    Scan(data[..n]);
                    data = data[n..];
                    _remaining -= n;
                    if (_remaining == 0)
                    {
                        _chunk = ChunkState.DataEnd;
                    }
                    break;
                case ChunkState.DataEnd:
                    if (data[0] == '\n')
                    {
                        _chunk = ChunkState.Size;
                    }
                    data = data[1..];
                    break;
                case ChunkState.Trailer:
                    // The last chunk: the stream is over (trailers, if any, do not matter here).
                    _finished = true;
                    return;
            }
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>Splits SSE text into lines (LF, CRLF or CR) across any number of calls.</summary>
    private void Scan(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_afterCr)
            {
                _afterCr = false;
                if (data[0] == '\n')
                {
                    data = data[1..];
                    continue;
                }
            }
            var end = data.IndexOfAny((byte)'\r', (byte)'\n');
            var piece = end < 0 ? data : data[..end];
            if (_prefixLength < PrefixCapacity && !piece.IsEmpty)
            {
                var copy = Math.Min(PrefixCapacity - _prefixLength, piece.Length);
                piece[..copy].CopyTo(_linePrefix.AsSpan(_prefixLength));
                _prefixLength += copy;
            }
            _lineLength += piece.Length;
            if (end < 0)
            {
                return;
            }
            _afterCr = data[end] == '\r';
            data = data[(end + 1)..];
            EndLine();
        }
    }

    private void EndLine()
    {
        if (_lineLength == 0)
        {
            if (_eventHasField)
            {
                Dispatch();
            }
        }
        else if (_linePrefix[0] != ':')
        {
            _eventHasField = true;
            var line = _linePrefix.AsSpan(0, _prefixLength);
            if (line.StartsWith("id:"u8))
            {
                var value = line[3..];
                if (!value.IsEmpty && value[0] == ' ')
                {
                    value = value[1..];
                }
                _pendingId = Utf8Parser.TryParse(value, out long id, out var used) && used == value.Length ? id : -1;
            }
            else if (Delays is not null && line.StartsWith("data:"u8))
            {
                var at = line.IndexOf(" t="u8);
                _pendingStamp = at >= 0 && Utf8Parser.TryParse(line[(at + 3)..], out long stamp, out _) ? stamp : -1;
            }
        }
        _lineLength = 0;
        _prefixLength = 0;
    }

    private void Dispatch()
    {
        _eventHasField = false;
        if (_pendingId >= 0)
        {
            if (_pendingId <= LastId)
            {
                OutOfOrder++;
            }
            else if (_pendingId != LastId + 1)
            {
                Gaps++;
            }
            LastId = _pendingId;
            _pendingId = -1;
        }
        Events++;
        LastEventAt = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_pendingStamp >= 0)
        {
            Delays?.Record((long)((LastEventAt - _pendingStamp) * (1e9 / System.Diagnostics.Stopwatch.Frequency)));
            _pendingStamp = -1;
        }
    }
}
