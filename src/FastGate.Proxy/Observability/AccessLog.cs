using System.Buffers.Text;
using System.Diagnostics;

namespace FastGate.Proxy.Observability;

/// <summary>
/// JSON-lines access log. The exchange formats its line straight into a shared byte buffer
/// (no strings, no allocation); a background thread swaps buffers and writes them out every
/// 200 ms, so the hot path never waits on disk. When the buffer is full the line is dropped and
/// counted rather than blocking a request. A file target is reopened on <see cref="ReopenAsync"/>
/// (SIGUSR1), for logrotate.
/// </summary>
public sealed class AccessLog : IDisposable
{
    private const int BufferSize = 512 * 1024;
    private const int MaxLineBytes = 8 * 1024;

    private readonly object _lock = new();
    private readonly string? _path;
    private readonly Thread _writer;
    private readonly ManualResetEventSlim _wake = new();
    private byte[] _active = new byte[BufferSize];
    private byte[] _spare = new byte[BufferSize];
    private int _length;
    private long _dropped;
    private Stream _stream;
    // Asked for by ReopenAsync (under _lock), completed by the writer once the file is open again.
    private TaskCompletionSource<bool>? _reopen;
    private volatile bool _stopping;

    /// <param name="target">"stdout" or a file path.</param>
    public AccessLog(string target)
    {
        _path = target == "stdout" ? null : target;
        _stream = Open();
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "fastgate-access-log" };
        _writer.Start();
    }

    public string Target => _path ?? "stdout";

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Reopens the file by its path (after logrotate moved it). Lines buffered until then go to
    /// the old file; the task completes, true, once lines go to the new one, or false when it could
    /// not be opened (the old one is kept) or the log is closing.
    /// </summary>
    public Task<bool> ReopenAsync()
    {
        Task<bool> done;
        lock (_lock)
        {
            if (_stopping)
            {
                // The writer may be gone, and Dispose no longer answers what is asked after it.
                return Task.FromResult(false);
            }
            _reopen ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            done = _reopen.Task;
        }
        _wake.Set();
        return done;
    }

    /// <summary>Appends one line. All spans are copied before returning.</summary>
    public void Write(in AccessLogRecord record)
    {
        lock (_lock)
        {
            if (BufferSize - _length < MaxLineBytes)
            {
                _dropped++;
                return;
            }
            var line = _active.AsSpan(_length, MaxLineBytes);
            var n = Format(record, line);
            _length += n;
        }
    }

    private static int Format(in AccessLogRecord r, Span<byte> line)
    {
        var w = new LineWriter(line);
        w.Raw("{\"time\":\""u8);
        w.Time(r.Time);
        w.Raw("\",\"client\":\""u8);
        w.Escaped(r.Client);
        w.Raw("\",\"method\":\""u8);
        w.Escaped(r.Method);
        w.Raw("\",\"path\":\""u8);
        w.Escaped(r.Target);
        w.Raw("\",\"protocol\":\""u8);
        w.Escaped(r.Protocol);
        w.Raw("\",\"host\":\""u8);
        w.Escaped(r.Host);
        w.Raw("\",\"status\":"u8);
        w.Number(r.Status);
        w.Raw(",\"bytes_in\":"u8);
        w.Number(r.BytesIn);
        w.Raw(",\"bytes_out\":"u8);
        w.Number(r.BytesOut);
        w.Raw(",\"duration_ms\":"u8);
        w.Milliseconds(r.DurationTicks);
        w.Raw(",\"route\":\""u8);
        w.Escaped(r.Route);
        w.Raw("\",\"upstream\":\""u8);
        w.Escaped(r.Upstream);
        w.Raw("\",\"upstream_ms\":"u8);
        w.Milliseconds(r.UpstreamTicks);
        w.Raw(",\"consumer\":\""u8);
        w.Escaped(r.Consumer);
        w.Raw("\",\"request_id\":\""u8);
        w.Escaped(r.RequestId);
        w.Raw("\"}\n"u8);
        return w.Written;
    }

    private Stream Open()
    {
        if (_path is null)
        {
            return Console.OpenStandardOutput();
        }
        return new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
    }

    private void WriteLoop()
    {
        while (true)
        {
            _wake.Wait(200);
            _wake.Reset();
            Flush();
            TaskCompletionSource<bool>? reopen;
            lock (_lock)
            {
                reopen = _reopen;
                _reopen = null;
            }
            if (reopen is not null)
            {
                reopen.TrySetResult(!_stopping && TryReopen());
            }
            if (_stopping)
            {
                Flush();
                return;
            }
        }
    }

    /// <summary>False when the file cannot be opened: the old one is kept, and the next SIGUSR1 tries again.</summary>
    private bool TryReopen()
    {
        try
        {
            var next = Open();
            var old = _stream;
            _stream = next;
            old.Dispose();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Flush()
    {
        byte[] full;
        int length;
        lock (_lock)
        {
            if (_length == 0)
            {
                return;
            }
            full = _active;
            length = _length;
            _active = _spare;
            _length = 0;
        }
        try
        {
            _stream.Write(full, 0, length);
            _stream.Flush();
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _spare = full;
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _writer.Join(TimeSpan.FromSeconds(2));
        // Asked for after the writer's last turn: nothing will reopen now.
        lock (_lock)
        {
            _reopen?.TrySetResult(false);
            _reopen = null;
        }
        if (_path is not null)
        {
            _stream.Dispose();
        }
    }

    private ref struct LineWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;
        // Leaves room for the closing bytes whatever the escaped fields cost.
        private readonly int _limit = span.Length - 64;
        public int Written;

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_span.Slice(Written));
            Written += bytes.Length;
        }

        public void Number(long value)
        {
            Utf8Formatter.TryFormat(value, _span.Slice(Written), out var n);
            Written += n;
        }

        public void Milliseconds(long ticks)
        {
            var micros = ticks * 1_000_000 / Stopwatch.Frequency;
            Number(micros / 1000);
            _span[Written++] = (byte)'.';
            var frac = micros % 1000;
            _span[Written++] = (byte)('0' + frac / 100);
            _span[Written++] = (byte)('0' + frac / 10 % 10);
            _span[Written++] = (byte)('0' + frac % 10);
        }

        public void Time(DateTime time)
        {
            time.TryFormat(_span.Slice(Written), out var n, "yyyy-MM-ddTHH:mm:ss.fffZ");
            Written += n;
        }

        /// <summary>JSON string content; bytes outside printable ASCII become \u00XX so the line stays valid whatever the client sent.</summary>
        public void Escaped(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                if (Written >= _limit - 6)
                {
                    return;
                }
                if (b >= 0x20 && b < 0x7F && b != (byte)'"' && b != (byte)'\\')
                {
                    _span[Written++] = b;
                    continue;
                }
                _span[Written++] = (byte)'\\';
                _span[Written++] = (byte)'u';
                _span[Written++] = (byte)'0';
                _span[Written++] = (byte)'0';
                _span[Written++] = Hex(b >> 4);
                _span[Written++] = Hex(b & 0xF);
            }
        }

        private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
