using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.HPack;
using FastGate.Core.Http2;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// A downstream HTTP/2 connection (RFC 9113): reads frames, keeps streams, flow control and the
/// defenses, and serves each stream as one exchange of an ordinary <see cref="Http1ProxyConnection"/>
/// over a per-stream bridge (<see cref="Http2StreamTransport"/>), so every route feature works on
/// HTTP/2 as on HTTP/1.1.
/// <para>
/// Threads: one read loop owns the frame reader, the HPACK decoder, the header block being
/// assembled and the request side of every stream. Response pumps (one per stream) and the
/// exchanges run elsewhere; what they share with the read loop (the stream table, the send
/// windows, the HPACK encoder and the pending output) is guarded by <see cref="_guard"/>. Every
/// frame is written under that guard into one pending buffer, which one writer loop hands to the
/// transport: frames of many streams go out in one flush. No code completes a pipe or wakes a
/// waiter while holding the guard.
/// </para>
/// <para>
/// On an event loop (h2c or TLS on the epoll transport: an <see cref="ILoopBound"/> transport,
/// the loop's connection itself or the TLS pipes its loop drives) the transport's pipes are the
/// loop thread's: the read loop starts there and every read resumes
/// there, and the writer is woken on the loop (<see cref="Http2Signal"/> bound to it), so both
/// loops run on the loop thread with no hop per read or write. The streams' exchanges run there
/// too (<see cref="Http2Stream"/>): their upstreams are the loop's, so are each bridge's pipes
/// (the exchange's side woken there posted, <see cref="Http2StreamTransport"/>), their deadlines
/// are the loop's timers, and the heartbeat's check is posted to the loop; a request costs no thread hop. As
/// all of them run on the loop thread, the guard takes no lock there (<see cref="Http2Guard"/>);
/// what comes from another thread (a drain's end of streams, the heartbeat) is posted to the loop,
/// and the read and write loops come back to the loop should a wait ever complete elsewhere.
/// </para>
/// <para>
/// h2c on the epoll transport goes further (Http2Connection.Driven.cs): past the preface the loop
/// drives the reading from the socket's readiness, and the writer's work runs at the end of the
/// loop's turn, with no read or write loop resumed per request.
/// </para>
/// </summary>
public sealed partial class Http2Connection : IHeartbeatTarget, IThreadPoolWorkItem, ILoopTimerTarget, IParkedReader, ILoopTurnEndWork
{
    // Our control replies (SETTINGS and PING acknowledgements) a client may leave unread before it is cut off.
    private const int MaxControlBacklog = 256 * 1024;
    // Pumps stop adding DATA past this much pending output until the writer has handed it on.
    private const int OutputHighWater = 512 * 1024;
    private const int MaxContinuations = 64;
    private const int MaxRefusals = 100;

    private readonly Http2Guard _guard;
    private readonly ITransport _transport;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Gateway _gateway;
    private readonly string _listenerName;
    private readonly ConnectionListener? _listener;
    private readonly ClientConnectionCounts.ClientLease? _lease;
    private readonly byte[] _clientAddress;
    private readonly Tls.TlsConnectionInfo? _tls;
    private readonly Http2Model _settings;
    private readonly TimeSpan _idleTimeout;
    private readonly Http2ListenerMetrics _metrics;

    private readonly HPackDecoder _decoder;
    private readonly HPackEncoder _encoder;
    private readonly Http2RequestBuilder _request;
    private readonly Http2PeerSettings _peer = new();
    private readonly Http2StreamTable _streams = new();
    private readonly PooledByteBuffer _headerBlock = new();
    private readonly PooledByteBuffer _encoded = new();
    private PooledByteBuffer _pending = new(1024 * 1024);
    private PooledByteBuffer _writing = new(1024 * 1024);
    // The loop the transport belongs to (h2c on the epoll transport); null over a stream or a portable socket.
    private readonly EventLoop? _loop;
    private readonly Http2Signal _writeSignal;
    // Set when the write loop ended: the read loop then lingers and the connection finishes.
    private readonly Http2Signal _writerDone = new();
    private byte[] _payload = [];

    // Read loop state.
    private int _highestStreamId;
    private bool _settingsReceived;
    private int _headerStreamId;
    private bool _headerEndStream;
    private bool _headerTrailers;
    private int _continuations;
    private int _connectionReceiveWindow;
    private int _connectionConsumedPending;
    // Streams we reset: frames the client had in flight for them are ignored (RFC 9113 §5.4.2).
    private readonly Http2ResetStreams _resetByUs;

    // Under _guard.
    private int _connectionSendWindow = Http2PeerSettings.DefaultWindowSize;
    private int _controlBacklog;
    private bool _goAwaySent;
    private int _goAwayLastStreamId;
    private bool _closing;
    private bool _closeAfterWrite;
    private long _connectionStalledSince;
    // Streams whose pump stopped for pending output, for the writer to wake (WakeOutputWaiters);
    // the other array holds the ones it is waking.
    private Http2Stream?[] _outputWaiters = [];
    private Http2Stream?[] _outputWaking = [];
    private int _outputWaiterCount;
    private long _idleSince;

    // Defenses (read loop).
    private double _controlTokens;
    private long _controlRefilledAt;
    // DATA frames queued to the client (under _guard), and the WINDOW_UPDATEs they let through free (read loop).
    private long _dataFramesSent;
    private long _freeWindowUpdates;
    // The linger's deadline passed (its timer, on the loop or the pool).
    private bool _lingerExpired;
    private int _streamsOpened;
    private int _prematureResets;
    private int _refusals;
    private bool _clientGoAway;
    private volatile bool _drainRequested;
    private int _heartbeatQueued;
    // When the writer's flush began waiting for the client's TCP to take our bytes; 0 when none waits.
    private long _flushSince;
    // Heartbeat check only: what the transport had taken when last seen, and when that last moved.
    private long _sentAtCheck;
    private long _sentMovedAt;
    private int _sendStallClosed;
    private int _closed;

    public Http2Connection(ITransport transport, byte[] clientAddress, Gateway gateway, string listenerName, ConnectionListener? listener,
        Tls.TlsConnectionInfo? tls, ClientConnectionCounts.ClientLease? lease)
    {
        _transport = transport;
        _loop = (transport as ILoopBound)?.Loop;
        _guard = new Http2Guard(_loop);
        _resetByUs = new Http2ResetStreams(_loop);
        _writeSignal = new Http2Signal(_loop);
        _driven = transport is EpollConnection;
        _input = transport.Input;
        _output = transport.Output;
        _gateway = gateway;
        _listenerName = listenerName;
        _listener = listener;
        _lease = lease;
        _clientAddress = clientAddress;
        _tls = tls;
        var snapshot = gateway.Current;
        _settings = snapshot.Model.Http2;
        _idleTimeout = _settings.IdleTimeout ?? snapshot.Listener(listenerName)?.Limits.IdleTimeout ?? TimeSpan.FromSeconds(60);
        _decoder = Http2HPackPool.RentDecoder(_settings.HeaderTableSize, _settings.MaxHeaderListSize);
        _encoder = Http2HPackPool.RentEncoder();
        _request = Http2RequestBuilderPool.Rent(_settings.EnableConnectProtocol);
        _connectionReceiveWindow = _settings.ConnectionWindow;
        _controlTokens = _settings.MaxControlFramesPerSecond;
        _controlRefilledAt = Stopwatch.GetTimestamp();
        _idleSince = _controlRefilledAt;
        _metrics = gateway.Metrics.Http2.Listener(listenerName);
    }

    public int RegistrySlot { get; set; } = -1;

    /// <summary>The event loop the connection and its streams' exchanges run on (see the class remarks); null off the loops.</summary>
    internal EventLoop? Loop => _loop;

    /// <summary>
    /// Registers the connection and runs it. The task ends when it closed or, on a driven
    /// connection (see <see cref="_driven"/>), when its reading was handed to the loop.
    /// </summary>
    public Task Start()
    {
        _gateway.Connections.Add(this);
        _gateway.Metrics.ConnectionOpened();
        _metrics.ConnectionOpened();
        if (!_driven)
        {
            _ = WriteLoopAsync();
        }
        return ReadLoopAsync(prefaceRead: false);
    }

    /// <param name="prefaceRead">
    /// The preamble went out and the preface was read: a driven connection's reading that could
    /// neither read nor park goes on here.
    /// </param>
    private async Task ReadLoopAsync(bool prefaceRead)
    {
        var code = Http2ErrorCode.NoError;
        // The loop drives the reading from now on (IParkedReader.OnReadable), and ends the connection.
        var handedToLoop = false;
        try
        {
            if (!prefaceRead)
            {
                SendPreamble();
                if (RefuseStruckAddress() || !await ReadPrefaceAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
            while (true)
            {
                ReadResult result;
                if (!_driven)
                {
                    result = await _input.ReadAsync().ConfigureAwait(false);
                }
                else if (!_input.TryRead(out result))
                {
                    if (EpollConnection.TryParkReader(_input, this))
                    {
                        handedToLoop = true;
                        return;
                    }
                    result = await _input.ReadAsync().ConfigureAwait(false);
                }
                if (_loop is not null && !_loop.IsCurrent)
                {
                    // The transport's pipes resume us on the loop; a read that one ever completes
                    // elsewhere comes back first, as the guard takes no lock on a loop (Http2Guard).
                    await _loop.SwitchTo();
                }
                if (EndsReading(result, out code))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // The client went away: nothing to answer.
        }
        catch (Exception ex)
        {
            if (_loop is not null && !_loop.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            _gateway.Log.Error($"HTTP/2 connection from {ClientAddressText} failed: {ex}");
            code = Http2ErrorCode.InternalError;
            GoAway(code);
        }
        finally
        {
            if (!handedToLoop)
            {
                if (_loop is not null && !_loop.IsCurrent)
                {
                    // A transport that failed on another thread (its read faulted there) resumed us there.
                    await _loop.SwitchTo();
                }
                await CloseAsync(code).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Handles one read's bytes (or its cancel, a wake-up to look at the connection's state):
    /// true when the reading ends, with the code the connection ends with.
    /// </summary>
    private bool EndsReading(in ReadResult result, out Http2ErrorCode code)
    {
        code = Http2ErrorCode.NoError;
        var buffer = result.Buffer;
        if (result.IsCanceled)
        {
            _input.AdvanceTo(buffer.Start);
            return ShouldEnd();
        }
        var status = ReadFrames(ref buffer, out code);
        _input.AdvanceTo(buffer.Start, buffer.End);
        if (code != Http2ErrorCode.NoError || status == FrameLoop.Close)
        {
            return true;
        }
        return result.IsCompleted || ShouldEnd();
    }

    /// <summary>The reading ended: the connection closes, lingers for the GOAWAY to be read, and finishes.</summary>
    private async Task CloseAsync(Http2ErrorCode code)
    {
        if (code is not (Http2ErrorCode.NoError or Http2ErrorCode.InternalError))
        {
            LogConnectionError(code);
        }
        BeginClose();
        await LingerAsync().ConfigureAwait(false);
        Finish();
    }

    /// <summary>
    /// After the last frame (a GOAWAY) went out, reads and drops what the client still sends, for
    /// a second at most or until it closes: closing a socket with unread bytes resets it, and the
    /// reset can destroy the GOAWAY before the client has read it. The deadline cancels the read:
    /// the loop's timer wheel on a loop (so the reads stay on the loop thread), a pool timer elsewhere.
    /// </summary>
    private async Task LingerAsync()
    {
        LoopTimer? loopTimer = null;
        ITimer? poolTimer = null;
        try
        {
            await _writerDone.WaitAsync().ConfigureAwait(false);
            if (_loop is not null)
            {
                if (!_loop.IsCurrent)
                {
                    await _loop.SwitchTo();
                }
                loopTimer = _loop.Timers.Create(this);
                loopTimer.Schedule(Stopwatch.GetTimestamp() + Stopwatch.Frequency);
            }
            else
            {
                poolTimer = TimeProvider.System.CreateTimer(static state => ((ILoopTimerTarget)state!).OnTimer(0), this, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            }
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                _input.AdvanceTo(result.Buffer.End);
                // A cancel before the deadline is a wake-up meant for the read loop (BeginClose ends
                // every stream, and each pump that finishes wakes the reader of a connection that
                // sent GOAWAY), not the end of the linger: closing then, with the client's bytes
                // unread, would reset the connection and could destroy the GOAWAY.
                if (result.IsCompleted || (result.IsCanceled && Volatile.Read(ref _lingerExpired)))
                {
                    return;
                }
            }
        }
        catch (Exception)
        {
            // The transport broke meanwhile: nothing left to linger on.
        }
        finally
        {
            loopTimer?.Cancel();
            poolTimer?.Dispose();
        }
    }

    /// <summary>The linger's deadline (the loop's timer, or a pool timer off a loop).</summary>
    void ILoopTimerTarget.OnTimer(long now)
    {
        Volatile.Write(ref _lingerExpired, true);
        try
        {
            _input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // A pool timer may fire just as the linger ended and the input completed.
        }
    }

    private async ValueTask<bool> ReadPrefaceAsync()
    {
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            if (_loop is not null && !_loop.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start);
                if (ShouldEnd())
                {
                    return false;
                }
                continue;
            }
            if (Http2FrameReader.TryReadPreface(buffer, out var mismatch))
            {
                _input.AdvanceTo(buffer.GetPosition(Http2FrameReader.ClientPreface.Length));
                return true;
            }
            if (mismatch)
            {
                GoAway(Http2ErrorCode.ProtocolError);
                _input.AdvanceTo(buffer.End);
                return false;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return false;
            }
        }
    }

    private enum FrameLoop
    {
        More,
        Close,
    }

    /// <summary>Handles every whole frame in <paramref name="buffer"/>, leaving it at the first incomplete one.</summary>
    private FrameLoop ReadFrames(ref ReadOnlySequence<byte> buffer, out Http2ErrorCode code)
    {
        code = Http2ErrorCode.NoError;
        while (true)
        {
            var status = Http2FrameReader.TryRead(buffer, _settings.MaxFrameSize, out var header, out var payloadBytes, out var consumed);
            if (status == Http2ReadStatus.NeedMoreData)
            {
                return FrameLoop.More;
            }
            if (status == Http2ReadStatus.FrameTooLarge)
            {
                code = Http2ErrorCode.FrameSizeError;
                GoAway(code);
                return FrameLoop.Close;
            }
            ReadOnlySpan<byte> payload;
            if (payloadBytes.IsSingleSegment)
            {
                payload = payloadBytes.FirstSpan;
            }
            else
            {
                if (_payload.Length < payloadBytes.Length)
                {
                    _payload = new byte[Math.Max(_settings.MaxFrameSize, (int)payloadBytes.Length)];
                }
                payloadBytes.CopyTo(_payload);
                payload = _payload.AsSpan(0, (int)payloadBytes.Length);
            }
            code = OnFrame(header, payload);
            buffer = buffer.Slice(consumed);
            if (code != Http2ErrorCode.NoError)
            {
                GoAway(code);
                return FrameLoop.Close;
            }
            if (_closing)
            {
                return FrameLoop.Close;
            }
        }
    }

    private Http2ErrorCode OnFrame(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (!_settingsReceived)
        {
            // RFC 9113 §3.4: the preface goes on with a SETTINGS frame.
            if (header.Type != Http2FrameType.Settings || header.Has(Http2Flags.Ack))
            {
                return Http2ErrorCode.ProtocolError;
            }
        }
        if (_headerStreamId != 0 && header.Type != Http2FrameType.Continuation)
        {
            // §6.10: a header block is contiguous; nothing may come between its frames.
            return Http2ErrorCode.ProtocolError;
        }
        switch (header.Type)
        {
            case Http2FrameType.Data:
                return OnData(header, payload);
            case Http2FrameType.Headers:
                return OnHeaders(header, payload);
            case Http2FrameType.Continuation:
                return OnContinuation(header, payload);
            case Http2FrameType.Priority:
                return OnPriority(header, payload);
            case Http2FrameType.RstStream:
                return OnRstStream(header, payload);
            case Http2FrameType.Settings:
                return OnSettings(header, payload);
            case Http2FrameType.Ping:
                return OnPing(header, payload);
            case Http2FrameType.GoAway:
                return OnGoAway(header, payload);
            case Http2FrameType.WindowUpdate:
                return OnWindowUpdate(header, payload);
            case Http2FrameType.PushPromise:
                // §8.4: a client never pushes.
                return Http2ErrorCode.ProtocolError;
            default:
                // §4.1: unknown frame types are ignored.
                return Http2ErrorCode.NoError;
        }
    }

    /// <summary>Our SETTINGS (the server's preface, §3.4), then the connection window raised to what the config asks.</summary>
    private void SendPreamble()
    {
        Span<Http2Setting> settings =
        [
            new(Http2SettingId.HeaderTableSize, (uint)_settings.HeaderTableSize),
            new(Http2SettingId.EnablePush, 0),
            new(Http2SettingId.MaxConcurrentStreams, (uint)_settings.MaxConcurrentStreams),
            new(Http2SettingId.InitialWindowSize, (uint)_settings.InitialStreamWindow),
            new(Http2SettingId.MaxFrameSize, (uint)_settings.MaxFrameSize),
            new(Http2SettingId.MaxHeaderListSize, (uint)_settings.MaxHeaderListSize),
            // RFC 8441 §3: WebSocket over HTTP/2 (extended CONNECT); left out when switched off.
            new(Http2SettingId.EnableConnectProtocol, 1),
        ];
        if (!_settings.EnableConnectProtocol)
        {
            settings = settings[..^1];
        }
        using (_guard.Enter())
        {
            Http2FrameWriter.WriteSettings(_pending, settings);
            if (_settings.ConnectionWindow > Http2PeerSettings.DefaultWindowSize)
            {
                Http2FrameWriter.WriteWindowUpdate(_pending, 0, _settings.ConnectionWindow - Http2PeerSettings.DefaultWindowSize);
            }
        }
        SignalWriter();
    }

    /// <summary>The read loop was woken: true when the connection should end now (drained, idle, closed).</summary>
    private bool ShouldEnd()
    {
        using (_guard.Enter())
        {
            if (_closing)
            {
                return true;
            }
            if ((_goAwaySent || _clientGoAway) && _streams.Count == 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Starts the end: the writer hands on what is pending (a GOAWAY) and then closes the transport;
    /// every stream still open is cancelled.
    /// </summary>
    private void BeginClose()
    {
        Http2Stream[] streams;
        using (_guard.Enter())
        {
            _closing = true;
            _closeAfterWrite = true;
            streams = _streams.ToArray();
            _streams.Clear();
            foreach (var stream in streams)
            {
                stream.Reset = true;
                stream.Closed = true;
            }
        }
        foreach (var stream in streams)
        {
            AbortRequest(stream);
            stream.Wake.Set();
            try
            {
                stream.Bridge.ResponseReader.CancelPendingRead();
            }
            catch (InvalidOperationException)
            {
            }
        }
        SignalWriter();
    }

    /// <summary>The read loop ended after the writer: the transport closes and the connection's accounting ends, once.</summary>
    private void Finish()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        try
        {
            _input.Complete();
        }
        catch (InvalidOperationException)
        {
        }
        _transport.Dispose();
        // The read loop has ended, and since BeginClose every stream is closed, so no head is
        // encoded any more, nor a block decoded: the HPACK coders and the request builder go to
        // the loop's pools for the next connection.
        Http2HPackPool.Return(_decoder, _encoder);
        Http2RequestBuilderPool.Return(_request);
        ReturnFreeStreamsToLoop();
        using (_guard.Enter())
        {
            // Under the guard, where they are used: off a loop an exchange may still be sending its
            // head (it compares it with the last one before it finds its stream closed), and the
            // heartbeat's check may be in GoAway. Once they are released, neither writes into them.
            _pending.Release();
            _encoded.Release();
            _lastHead.Release();
        }
        _writing.Release();
        _headerBlock.Release();
        _gateway.Connections.Remove(this);
        _gateway.Metrics.ConnectionClosed();
        _metrics.ConnectionClosed();
        _lease?.Release();
        _listener?.OnConnectionClosed();
    }

    private static bool IsConnectionFault(Exception ex) =>
        ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException
            or Pipelines.Sockets.Unofficial.ConnectionResetException or Pipelines.Sockets.Unofficial.ConnectionAbortedException
        || (ex is InvalidOperationException && ex.InnerException is IOException or System.Net.Sockets.SocketException);
}
