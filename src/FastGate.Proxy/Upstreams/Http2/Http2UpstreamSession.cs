using System.Buffers;
using System.Diagnostics;
using FastGate.Core.HPack;
using FastGate.Core.Http2;
using FastGate.Core.Transport;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// One HTTP/2 connection to an upstream endpoint (RFC 9113), carrying many exchanges at once as
/// streams. It sends the preface and its SETTINGS, waits for the server's, then admits streams up to
/// the smaller of the cluster's max_streams_per_connection and the server's
/// SETTINGS_MAX_CONCURRENT_STREAMS. A reader loop takes the server's frames (Reader.cs); a writer
/// loop sends what the streams queue (Writer.cs). Each exchange sees its stream as an HTTP/1.1
/// connection (<see cref="Http2UpstreamStream"/>), so the upstream leg runs unchanged.
/// <para>
/// Threads: streams' request pumps run on their exchanges' threads, the reader and writer loops on
/// pool threads. All shared state (stream table, windows, ids, the HPACK encoder, the queued bytes)
/// is under <see cref="_lock"/>, which is never held while awaiting or while a stream's pipe is
/// flushed (an exchange's code may run inline there).
/// </para>
/// </summary>
internal sealed partial class Http2UpstreamSession
{
    /// <summary>What each stream may receive before the exchange has taken it (SETTINGS_INITIAL_WINDOW_SIZE).</summary>
    public const int StreamWindow = 1024 * 1024;
    /// <summary>What the whole connection may receive ahead: several streams at full speed.</summary>
    public const int ConnectionWindow = 16 * 1024 * 1024;
    /// <summary>The largest header list a response may decode to.</summary>
    public const int MaxResponseHeaderList = 64 * 1024;
    /// <summary>Stream ids are 31 bits (RFC 9113 §5.1.1); a client's are odd.</summary>
    public const long MaxStreamId = int.MaxValue;

    private readonly object _lock = new();
    private readonly ITransport _transport;
    private readonly Dictionary<int, Http2UpstreamStream> _streams = [];
    private readonly Http2PeerSettings _peer = new();
    private readonly HPackEncoder _encoder = new();
    private readonly HPackDecoder _decoder = new(4096, MaxResponseHeaderList);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Http2UpstreamMetrics _metrics;
    private readonly int _maxStreams;
    private Http2FlowWindow _sendWindow = new(Http2PeerSettings.DefaultWindowSize);
    private long _nextStreamId = 1;
    private int _unassigned;
    private int _active;
    private int _highestSent;
    private bool _draining;
    private bool _exhaustionCounted;
    private Exception? _failure;
    private long _idleSince = Stopwatch.GetTimestamp();
    private int _closed;

    public Http2UpstreamSession(ITransport transport, bool tls, int maxStreams, System.Net.EndPoint target, Http2UpstreamMetrics? metrics = null)
    {
        _transport = transport;
        IsTls = tls;
        _maxStreams = Math.Max(1, maxStreams);
        Target = target;
        _metrics = metrics ?? Http2UpstreamMetrics.Shared;
    }

    /// <summary>The address this connection went to.</summary>
    public System.Net.EndPoint Target { get; }

    /// <summary>The TLS settings the connection was opened with; null for h2c.</summary>
    public UpstreamTls? Tls { get; init; }

    /// <summary>TLS under the connection: requests say :scheme https.</summary>
    public bool IsTls { get; }

    /// <summary>Streams admitted and not yet given back.</summary>
    public int ActiveStreams
    {
        get { lock (_lock) { return _active; } }
    }

    /// <summary>The most streams this session admits at once now.</summary>
    public int MaxStreams
    {
        get { lock (_lock) { return StreamLimit; } }
    }

    private int StreamLimit => Math.Min(_maxStreams, _peer.MaxConcurrentStreams);

    /// <summary>True once the connection failed or closed; it admits nothing more.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>No new stream will be admitted (GOAWAY, ids run out, closing).</summary>
    public bool IsDraining
    {
        get { lock (_lock) { return _draining || _failure is not null; } }
    }

    /// <summary>The next stream id this session would use (tests start it near the end of the space).</summary>
    internal long NextStreamId
    {
        get { lock (_lock) { return _nextStreamId; } }
        set { lock (_lock) { _nextStreamId = value; } }
    }

    /// <summary>
    /// Starts the connection: preface, our SETTINGS and connection window, the loops; completes when
    /// the server's SETTINGS came (so its stream limit is known), throws when the connection fails
    /// first or <paramref name="timeout"/> passes (<see cref="OperationCanceledException"/>).
    /// </summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        lock (_lock)
        {
            var output = _pending;
            output.Write(Http2FrameReader.ClientPreface);
            Span<Http2Setting> settings =
            [
                new(Http2SettingId.EnablePush, 0),
                new(Http2SettingId.InitialWindowSize, StreamWindow),
                new(Http2SettingId.MaxHeaderListSize, MaxResponseHeaderList),
            ];
            Http2FrameWriter.WriteSettings(output, settings);
            Http2FrameWriter.WriteWindowUpdate(output, 0, ConnectionWindow - Http2PeerSettings.DefaultWindowSize);
        }
        _metrics.SessionOpened();
        _ = WriteLoopAsync();
        _ = ReadLoopAsync();
        ScheduleWrite();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _ready.Task.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch
        {
            Close(new IOException("the HTTP/2 upstream did not start its session"));
            throw;
        }
    }

    /// <summary>
    /// Admits a new stream when there is room: under the stream limit, ids left, not draining. Ids
    /// are given when the stream's HEADERS go out, so they rise in the order the server sees them.
    /// </summary>
    public Http2UpstreamStream? TryOpenStream() => TryAdmit(null);

    /// <summary>
    /// Admits a new stream, or <paramref name="resent"/>, a stream another session refused
    /// (REFUSED_STREAM, or above a GOAWAY's last id), which goes out here again as new.
    /// </summary>
    internal Http2UpstreamStream? TryAdmit(Http2UpstreamStream? resent)
    {
        lock (_lock)
        {
            if (_failure is not null || _draining || _active >= StreamLimit)
            {
                return null;
            }
            if (_nextStreamId + 2L * _unassigned > MaxStreamId)
            {
                // RFC 9113 §5.1.1: ids cannot be reused; this connection ends when its streams do
                // and the endpoint opens another.
                _draining = true;
                if (!_exhaustionCounted)
                {
                    _exhaustionCounted = true;
                    _metrics.StreamIdsExhausted();
                }
                CloseIfDoneLocked();
                return null;
            }
            _active++;
            _unassigned++;
            resent?.Readmit();
        }
        if (resent is not null)
        {
            _metrics.StreamResent();
            return resent;
        }
        _metrics.StreamOpened();
        return new Http2UpstreamStream(this);
    }

    /// <summary>A stream's exchange let it go: its place is free again; an idle draining session closes.</summary>
    internal void Release(Http2UpstreamStream stream, bool reset)
    {
        var sendReset = false;
        lock (_lock)
        {
            stream.Released = true;
            if (stream.Id == 0)
            {
                _unassigned--;
            }
            else
            {
                _streams.Remove(stream.Id);
                sendReset = reset && _failure is null;
            }
            _active--;
            if (_active == 0)
            {
                _idleSince = Stopwatch.GetTimestamp();
            }
            if (sendReset)
            {
                Http2FrameWriter.WriteRstStream(_pending, stream.Id, Http2ErrorCode.Cancel);
            }
            CloseIfDoneLocked();
        }
        if (sendReset)
        {
            ScheduleWrite();
        }
    }

    /// <summary>Closes the session when it has had no stream for <paramref name="idleTicks"/>; true when it closed (or was closed).</summary>
    public bool CloseIfIdle(long now, long idleTicks)
    {
        lock (_lock)
        {
            if (_failure is null && (_active > 0 || now - _idleSince <= idleTicks))
            {
                return false;
            }
            _draining = true;
            CloseIfDoneLocked();
        }
        return true;
    }

    /// <summary>The endpoint left the config: no new streams; the connection closes when the last one ends.</summary>
    public void Drain()
    {
        lock (_lock)
        {
            _draining = true;
            CloseIfDoneLocked();
        }
    }

    /// <summary>Under the lock: a draining session with no stream says GOAWAY and closes.</summary>
    private void CloseIfDoneLocked()
    {
        if (!_draining || _active > 0 || _failure is not null)
        {
            return;
        }
        _failure = new IOException("the HTTP/2 upstream session closed");
        Http2FrameWriter.WriteGoAway(_pending, 0, Http2ErrorCode.NoError, default);
        _closeAfterWrite = true;
        ScheduleWriteLocked();
    }

    /// <summary>
    /// The connection failed or ends: every stream still waiting learns it (as a reset, which the
    /// exchange may try again elsewhere), and the transport closes.
    /// </summary>
    internal void Close(Exception reason)
    {
        List<Http2UpstreamStream>? failed = null;
        lock (_lock)
        {
            _failure ??= reason;
            if (_streams.Count > 0)
            {
                failed = [.. _streams.Values];
                _streams.Clear();
            }
        }
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _metrics.SessionClosed();
            _ready.TrySetException(reason);
            ScheduleWrite();
            try
            {
                _transport.Dispose();
            }
            catch (Exception)
            {
                // Closing a transport that already failed.
            }
        }
        if (failed is not null)
        {
            foreach (var stream in failed)
            {
                stream.FailResponse(new IOException("the HTTP/2 connection to the upstream ended", reason), refused: false);
            }
        }
        WakeAllSenders();
    }
}
