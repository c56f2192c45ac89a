using System.Diagnostics;
using FastGate.Core.Buffers;
using FastGate.Proxy.Observability;
using Microsoft.Win32.SafeHandles;

namespace FastGate.Ai.Metering;

/// <summary>
/// The durable, append-only usage ledger (layout in <see cref="UsageLedgerFormat"/>).
/// <see cref="Append"/> runs on any thread, usually a connection's loop thread: it encodes the
/// record into a frame in a thread-local buffer and copies it into the pending batch under a
/// lock held for that copy only, so it never waits for the disk. A writer thread of its own
/// writes the batch at the end of the file and fsyncs it every <see cref="FsyncInterval"/>;
/// a record is durable once that fsync returned (<see cref="Durable"/>, <see cref="Synced"/>).
/// After a crash, at most the records of the last interval are lost, and a frame the crash
/// tore is cut away when the file is opened again, so new records never follow garbage.
/// Writes are positional at the end of the last good frame, so a failed write (disk full) is
/// simply retried over the same bytes. Two processes must not append to one file.
/// </summary>
public sealed class UsageLedger : IDisposable
{
    /// <summary>Pending bytes beyond which appends are dropped (and counted) rather than held: the disk is gone.</summary>
    private const int MaxPendingBytes = 64 * 1024 * 1024;
    /// <summary>A batch this large wakes the writer before its interval is up, so batches stay bounded under load.</summary>
    private const int EarlyWriteBytes = 1024 * 1024;
    /// <summary>
    /// What each of the two batch buffers holds from <see cref="Open"/> on; after a burst, a
    /// buffer larger than this goes back to the pool once written rather than stay held.
    /// </summary>
    private const int BatchRetainBytes = 1024 * 1024;
    /// <summary>
    /// More unsynced bytes than a crash can leave behind (a few batches of at most
    /// <see cref="MaxPendingBytes"/>): damage beyond this from the end is not a torn tail, and the
    /// file is moved aside whole rather than cut.
    /// </summary>
    private const long MaxTornTail = 4L * MaxPendingBytes;
    private static readonly TimeSpan ErrorLogInterval = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReopenInterval = TimeSpan.FromSeconds(5);

    [ThreadStatic]
    private static PooledByteBuffer? t_payload;

    private readonly GatewayLog _log;
    private readonly Thread _writer;
    private readonly AutoResetEvent _wake = new(false);

    // _batchLock guards _pending and _appended (held for a copy); _fileLock the file and _writing.
    private readonly Lock _batchLock = new();
    private readonly Lock _fileLock = new();
    private PooledByteBuffer _pending = new(BatchRetainBytes);
    private PooledByteBuffer _writing = new(BatchRetainBytes);
    private long _appended;
    private long _writingUpTo;
    private long _writtenUpTo;
    private long _durable;
    private long _dropped;
    private long _droppedLogged;

    private SafeFileHandle? _handle;
    private string? _path;
    private long _end;
    private long _nextOpenTicks;
    private long _nextErrorLogTicks;
    private long _intervalTicks;
    private long _writerTurns;
    // Under _batchLock: the writer sleeps without a timeout until an append wakes it.
    private bool _idle;
    private volatile bool _stopping;
    private bool _disposed;

    public UsageLedger(GatewayLog log, TimeSpan fsyncInterval)
    {
        _log = log;
        FsyncInterval = fsyncInterval;
        _writer = new Thread(RunWriter) { IsBackground = true, Name = "usage-ledger" };
        _writer.Start();
    }

    /// <summary>How often pending records are written and fsynced (at least 1 ms).</summary>
    public TimeSpan FsyncInterval
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _intervalTicks));
        set
        {
            Interlocked.Exchange(ref _intervalTicks, Math.Max(value.Ticks, TimeSpan.TicksPerMillisecond));
            if (!_stopping)
            {
                _wake.Set();
            }
        }
    }

    /// <summary>The file appended to; null before <see cref="Open"/>.</summary>
    public string? Path => Volatile.Read(ref _path);

    /// <summary>Records appended since this ledger was made (the sequence of the last one).</summary>
    public long Appended
    {
        get
        {
            lock (_batchLock)
            {
                return _appended;
            }
        }
    }

    /// <summary>The sequence up to which every appended record is written and fsynced.</summary>
    public long Durable => Interlocked.Read(ref _durable);

    /// <summary>Records dropped because the pending batch was full (the file could not be written for a long time).</summary>
    public long Dropped
    {
        get
        {
            lock (_batchLock)
            {
                return _dropped;
            }
        }
    }

    /// <summary>Called on the writer thread after each fsync that made records durable, with <see cref="Durable"/>.</summary>
    public Action<long>? Synced { get; set; }

    /// <summary>
    /// Appends the ledger at <paramref name="path"/> from now on (creating it and its folder if
    /// missing, cutting a torn tail away); records still pending go to the previous file first.
    /// False, logged, when the file cannot be used: records are then held (up to a cap) and the
    /// file is tried again every few seconds.
    /// </summary>
    public bool Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        lock (_fileLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Reserve(_writing);
            lock (_batchLock)
            {
                Reserve(_pending);
            }
            if (_path == path && _handle is not null)
            {
                return true;
            }
            if (_handle is not null)
            {
                WritePending();
                _handle.Dispose();
                _handle = null;
            }
            Volatile.Write(ref _path, path);
            _nextOpenTicks = 0;
            return TryOpenFile();
        }
    }

    /// <summary>Queues <paramref name="record"/>; returns its sequence number, or 0 when it was dropped.</summary>
    public long Append(in UsageRecord record)
    {
        var payload = t_payload ??= new PooledByteBuffer();
        payload.Clear();
        UsageLedgerFormat.WritePayload(payload, record);
        Span<byte> header = stackalloc byte[UsageLedgerFormat.FrameHeaderLength];
        UsageLedgerFormat.WriteFrameHeader(header, payload.WrittenSpan);
        lock (_batchLock)
        {
            if (_pending.Length + header.Length + payload.Length > MaxPendingBytes)
            {
                _dropped++;
                return 0;
            }
            var before = _pending.Length;
            _pending.Write(header);
            _pending.Write(payload.WrittenSpan);
            if (_idle)
            {
                _idle = false;
                _wake.Set();
            }
            else if (before < EarlyWriteBytes && _pending.Length >= EarlyWriteBytes)
            {
                _wake.Set();
            }
            return ++_appended;
        }
    }

    /// <summary>Writes and fsyncs every record appended so far, on the calling thread. False when the file could not take them.</summary>
    public bool Flush()
    {
        lock (_fileLock)
        {
            return !_disposed && WritePending();
        }
    }

    /// <summary>
    /// Every intact record of the current file, the ones appended so far included (they are
    /// flushed first). The scan uses a handle of its own, so appends go on meanwhile.
    /// </summary>
    public IEnumerable<UsageRecord> ReadAll()
    {
        string? path;
        long end;
        lock (_fileLock)
        {
            if (_disposed || _handle is null)
            {
                yield break;
            }
            WritePending();
            path = _path!;
            end = _end;
        }
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = UsageLedgerReader.Over(handle, end);
        while (reader.TryRead(out var record))
        {
            yield return record;
        }
    }

    /// <summary>How many times the writer thread has woken up: it sleeps while nothing is pending.</summary>
    internal long WriterTurns => Interlocked.Read(ref _writerTurns);

    private void RunWriter()
    {
        while (!_stopping)
        {
            // After the first record of a batch has woken it, the writer waits one interval for
            // more, so records are still written and fsynced in batches.
            _wake.WaitOne(FsyncInterval);
            Interlocked.Increment(ref _writerTurns);
            bool idle;
            lock (_fileLock)
            {
                if (_disposed)
                {
                    return;
                }
                try
                {
                    WritePending();
                    LogDrops();
                }
                catch (Exception ex)
                {
                    // Anything else thrown here would end the process from this thread; the records stay held.
                    ReportError($"usage ledger {_path}: writer failed: {ex.Message}");
                }
                idle = EnterIdle();
            }
            if (idle)
            {
                // A daemon without AI traffic keeps this thread asleep instead of polling.
                _wake.WaitOne();
            }
        }
    }

    /// <summary>True, and an append must wake the writer, when nothing is left to write or report. Under <see cref="_fileLock"/>.</summary>
    private bool EnterIdle()
    {
        lock (_batchLock)
        {
            _idle = _pending.Length == 0 && _writing.Length == 0 && _dropped == _droppedLogged && !_stopping;
            return _idle;
        }
    }

    /// <summary>Writes what is pending at the end of the file and fsyncs it. Under <see cref="_fileLock"/>.</summary>
    private bool WritePending()
    {
        if (_handle is null && (_path is null || !TryOpenFile()))
        {
            return false;
        }
        var handle = _handle!;
        try
        {
            while (true)
            {
                // A batch a failed write left behind goes first, to the same offset.
                if (_writing.Length == 0)
                {
                    lock (_batchLock)
                    {
                        if (_pending.Length == 0)
                        {
                            break;
                        }
                        (_pending, _writing) = (_writing, _pending);
                        _writingUpTo = _appended;
                    }
                }
                RandomAccess.Write(handle, _writing.WrittenSpan, _end);
                _end += _writing.Length;
                _writing.Clear();
                Reserve(_writing);
                _writtenUpTo = _writingUpTo;
            }
            if (_writtenUpTo == Interlocked.Read(ref _durable))
            {
                return true;
            }
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ReportError($"usage ledger {_path}: cannot write: {ex.Message}; records are held and written again");
            return false;
        }
        Interlocked.Exchange(ref _durable, _writtenUpTo);
        Synced?.Invoke(_writtenUpTo);
        return true;
    }

    /// <summary>
    /// Gives <paramref name="batch"/> room for <see cref="BatchRetainBytes"/> up front. Batches
    /// grow whenever the writer is later than ever before (a slow fsync, a busy machine); grown
    /// on demand, each such batch would allocate a larger buffer on the appending loop thread,
    /// and twice (one per buffer). The pool's arrays are not zeroed, so the pages of the room
    /// not yet written cost no memory.
    /// </summary>
    private static void Reserve(PooledByteBuffer batch)
    {
        if (batch.Length < BatchRetainBytes)
        {
            batch.GetSpan(BatchRetainBytes - batch.Length);
        }
    }

    /// <summary>Opens <see cref="_path"/>, checks its header and cuts a torn tail away. Under <see cref="_fileLock"/>.</summary>
    private bool TryOpenFile()
    {
        var now = Stopwatch.GetTimestamp();
        if (now < _nextOpenTicks)
        {
            return false;
        }
        _nextOpenTicks = now + (long)(ReopenInterval.TotalSeconds * Stopwatch.Frequency);
        var path = _path!;
        SafeFileHandle? handle = null;
        try
        {
            if (System.IO.Path.GetDirectoryName(path) is { Length: > 0 } folder)
            {
                Directory.CreateDirectory(folder);
            }
            // Readers (GET /usage, tools) may open the file while it is appended to.
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            long end;
            using (var reader = UsageLedgerReader.Over(handle, long.MaxValue))
            {
                switch (reader.Header)
                {
                    case LedgerHeader.Empty:
                    case LedgerHeader.Torn:
                        if (reader.Header == LedgerHeader.Torn)
                        {
                            _log.Warn($"usage ledger {path}: cut a torn header of {reader.Length} bytes");
                        }
                        Span<byte> header = stackalloc byte[UsageLedgerFormat.HeaderLength];
                        UsageLedgerFormat.WriteHeader(header);
                        RandomAccess.SetLength(handle, 0);
                        RandomAccess.Write(handle, header, 0);
                        RandomAccess.FlushToDisk(handle);
                        DirectorySync.Flush(System.IO.Path.GetDirectoryName(path)!);
                        end = UsageLedgerFormat.HeaderLength;
                        break;
                    case LedgerHeader.Valid:
                        while (reader.TryReadFrame(out _))
                        {
                        }
                        end = reader.ValidLength;
                        if (reader.Length - end > MaxTornTail)
                        {
                            handle.Dispose();
                            handle = null;
                            var aside = $"{path}.damaged-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
                            File.Move(path, aside);
                            _log.Error($"usage ledger {path}: damaged {end} bytes in, {reader.Length - end} bytes before its end (more than a crash leaves); moved to {aside} and a new ledger started");
                            _nextOpenTicks = 0;
                            return TryOpenFile();
                        }
                        if (end < reader.Length)
                        {
                            _log.Warn($"usage ledger {path}: cut a torn or damaged tail of {reader.Length - end} bytes after {reader.Frames} records");
                            RandomAccess.SetLength(handle, end);
                            RandomAccess.FlushToDisk(handle);
                        }
                        break;
                    default:
                        _log.Error($"usage ledger {path}: {(reader.Header == LedgerHeader.NotALedger ? "not a usage ledger" : "a ledger of an unknown format version")}; it is left as it is and no usage is written");
                        handle.Dispose();
                        return false;
                }
            }
            _handle = handle;
            _end = end;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            handle?.Dispose();
            ReportError($"usage ledger {path}: cannot open: {ex.Message}; records are held and the file tried again");
            return false;
        }
    }

    /// <summary>Logs at most one error a minute: a full disk must not flood the log. False when this one was not logged.</summary>
    private bool ReportError(string message)
    {
        var now = Stopwatch.GetTimestamp();
        if (now < _nextErrorLogTicks)
        {
            return false;
        }
        _nextErrorLogTicks = now + (long)(ErrorLogInterval.TotalSeconds * Stopwatch.Frequency);
        _log.Error(message);
        return true;
    }

    private void LogDrops()
    {
        var dropped = Dropped;
        if (dropped != _droppedLogged && ReportError($"usage ledger {_path}: {dropped - _droppedLogged} records dropped, the pending batch is full ({MaxPendingBytes} bytes)"))
        {
            _droppedLogged = dropped;
        }
    }

    /// <summary>Writes and fsyncs what is pending, stops the writer thread and closes the file.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _wake.Set();
        if (Thread.CurrentThread != _writer)
        {
            _writer.Join();
        }
        lock (_fileLock)
        {
            if (_disposed)
            {
                return;
            }
            WritePending();
            _disposed = true;
            _handle?.Dispose();
            _handle = null;
        }
        _wake.Dispose();
    }
}
