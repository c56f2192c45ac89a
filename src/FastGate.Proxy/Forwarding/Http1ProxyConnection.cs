using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Upstreams;
using Pipelines.Sockets.Unofficial;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// The exchange worker of a downstream HTTP/1.1 connection (<see cref="Http1ClientConnection"/>):
/// reads request heads, forwards each exchange to an upstream and its response back, in order
/// (pipelined requests wait their turn in the pipe). On an event loop a worker is bound to a
/// connection only while it has bytes to handle, and serves other connections of the loop in
/// between; elsewhere it serves one connection for its whole life.
/// <para>
/// Every await of the worker happens in <see cref="RunAsync"/>, one loop that lives as long as
/// the worker, so its state machine box is allocated once per worker rather than once per
/// exchange (nested async methods would each allocate when they suspend under load). The
/// exchange itself is a synchronous state machine (<see cref="ExchangeState"/>): each step
/// handles the result of the last I/O and names the next one (<see cref="IoOperation"/>). The
/// one exception is a request body, which streams on a pooled second loop while the response is
/// read (see Http1ProxyConnection.RequestBody.cs for how the two share the connection).
/// </para>
/// One loop owns all other mutable state here. On an <see cref="EventLoop"/> everything runs on
/// the loop's thread: the deadline is a timer on the loop's wheel, work from other threads
/// (drain) is posted to the loop, and an await that completed elsewhere (a stage waiting on
/// Redis, an upstream on another transport) switches back before the next step. On the portable
/// transport, the heartbeat thread only fires the deadline (<see cref="ConnectionDeadline"/>) and
/// queues the cancel of the pending read or flush to the thread pool: with inline pipe schedulers
/// a cancel runs the awaiting continuation on the cancelling thread, and connection work must
/// never run on the heartbeat thread.
/// </summary>
public sealed partial class Http1ProxyConnection : IValueTaskSource, IParkedReader
{
    // Workers of a loop that have no connection to serve, on the loop's own thread.
    private const int MaxPooledWorkers = 4096;

    [ThreadStatic]
    private static Stack<Http1ProxyConnection>? t_idleWorkers;

    // The connection served now, and copies of what of it the exchange code reads everywhere.
    private Http1ClientConnection _client = null!;
    private Gateway _gateway = null!;
    private ConnectionListener? _listener;
    private string _listenerName = null!;
    private ITransport _transport = null!;
    private PipeReader _input = null!;
    private PipeWriter _output = null!;
    // The loop the connection lives on; null on the portable transport.
    private EventLoop? _loop;
    private byte[] _clientAddress = null!;
    private byte[] _clientIp = null!;
    private ulong _clientHash;
    // A loop's worker goes back to the loop's pool when its connection parks or closes.
    private bool _pooled;
    // The first step once bound: a new connection begins, a parked one reads.
    private bool _fresh;
    private ManualResetValueTaskSourceCore<bool> _bound;
    // A driven worker (see Drive) hands RunAsync the I/O it could not finish at once: which one,
    // and the flush already started when it is one.
    private IoOperation? _handedOff;
    private ValueTask<FlushResult>? _handedOffFlush;

    // The exchange in progress, taken from the gateway's pool when a request head has arrived and
    // given back when it ends: a connection between requests holds none.
    private Exchange? _current;
    // Where the search for the end of the request head stopped; reset when a head is consumed.
    private Http1HeadScanState _headScan;

    // The last I/O's outcome, for the state machine.
    private ReadResult _read;
    private FlushResult _flush;
    private Exception? _fault;

    /// <summary>A connection with a worker of its own for life, from the client's address as text (tests, benchmarks).</summary>
    /// <param name="tls">The connection's TLS session; null on a plain connection.</param>
    public Http1ProxyConnection(ITransport transport, byte[] clientAddress, Gateway gateway, string listenerName, ConnectionListener? listener, Tls.TlsConnectionInfo? tls = null)
    {
        Attach(new Http1ClientConnection(transport, clientAddress, gateway, listenerName, listener) { Tls = tls }, fresh: true);
    }

    /// <summary>The same, for a client whose address the handler already has in every form (not parsed again from its text): the portable transport's connections.</summary>
    public Http1ProxyConnection(ITransport transport, Hosting.ClientAddressInfo client, Gateway gateway, string listenerName, ConnectionListener? listener, Tls.TlsConnectionInfo? tls = null)
    {
        Attach(new Http1ClientConnection(transport, client, gateway, listenerName, listener) { Tls = tls }, fresh: true);
    }

    private Http1ProxyConnection()
    {
        _pooled = true;
    }

    // What the connection keeps between requests, used in place.
    private ref GatewaySnapshot _snapshot => ref _client.Snapshot;
    private ref int _listenerIndex => ref _client.ListenerIndex;
    private ref LimitsModel _limits => ref _client.Limits;
    private ref bool _clientTrusted => ref _client.ClientTrusted;
    private ref ConnectionDeadline _deadline => ref _client.Deadline;
    private bool _closeWhenIdle => _client.CloseWhenIdleRequested;

    private bool _betweenExchanges
    {
        get => _client.BetweenExchanges;
        set => _client.BetweenExchanges = value;
    }

    // Valid during an exchange only (between taking and giving back _current).
    private Exchange _exchange => _current!;
    private RequestHead _request => _current!.Request;
    private UpstreamLeg _leg => _current!.Leg;

    /// <summary>Registers the connection and starts its loop; the returned task ends when the connection closes.</summary>
    public Task Start()
    {
        _gateway.Connections.Add(_client);
        _gateway.Metrics.ConnectionOpened();
        return RunAsync();
    }

    /// <summary>The connection's deadline, as the heartbeat thread would (tests).</summary>
    public void OnHeartbeat(long now) => _client.OnHeartbeat(now);

    /// <summary>What the connection's deadline is armed for now (tests: to fire one arming and no other).</summary>
    internal TimeoutKind ArmedDeadline => _client?.Deadline.Armed ?? TimeoutKind.None;

    /// <summary>Where the exchange is (tests: to fire a deadline while a given I/O waits).</summary>
    internal ExchangeState State => _state;

    /// <summary>
    /// Gives <paramref name="client"/> a worker from its loop's pool (or a new one) and runs it:
    /// a <paramref name="fresh"/> connection begins, a parked one reads what woke it. Loop thread.
    /// </summary>
    internal static void Bind(Http1ClientConnection client, bool fresh)
    {
        var idle = t_idleWorkers;
        if (idle is not null && idle.TryPop(out var worker))
        {
            worker.Attach(client, fresh);
            if (fresh)
            {
                // Resumes the worker's loop, waiting in WaitForClientAsync, inline.
                worker._bound.SetResult(true);
                return;
            }
            // A parked connection woke: its request is driven from here, the loop left waiting.
            worker.Drive(IoOperation.ReadClient);
            return;
        }
        worker = new Http1ProxyConnection();
        worker.Attach(client, fresh);
        _ = worker.RunAsync();
    }

    private void Attach(Http1ClientConnection client, bool fresh)
    {
        _client = client;
        _gateway = client.Gateway;
        _listener = client.Listener;
        _listenerName = client.ListenerName;
        _transport = client.Transport;
        _input = client.Transport.Input;
        _output = client.Transport.Output;
        _loop = client.Loop;
        _clientAddress = client.ClientAddress;
        _clientIp = client.ClientIp;
        _clientHash = client.ClientHash;
        _fresh = fresh;
        ResetRates();
        if (!fresh)
        {
            // A parked connection was waiting for a request head with nothing of it in hand.
            _state = ExchangeState.ReadingHead;
            _headScan.Reset();
        }
        client.Worker = this;
    }

    /// <summary>Lets go of the connection (parked or closed); a pooled worker then waits for the next.</summary>
    private bool Detach()
    {
        _client.Worker = null;
        _client = null!;
        _transport = null!;
        _input = null!;
        _output = null!;
        _listener = null;
        _read = default;
        if (_http2Stream)
        {
            return DetachFromHttp2Stream();
        }
        if (!_pooled)
        {
            return false;
        }
        var idle = t_idleWorkers ??= new Stack<Http1ProxyConnection>();
        if (idle.Count >= MaxPooledWorkers)
        {
            return false;
        }
        idle.Push(this);
        return true;
    }

    private ValueTask WaitForClientAsync()
    {
        if (!_http2Stream)
        {
            // An HTTP/2 stream's worker armed its wait before letting its stream go.
            _bound.Reset();
        }
        return new ValueTask(this, _bound.Version);
    }

    void IValueTaskSource.GetResult(short token) => _bound.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _bound.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _bound.OnCompleted(continuation, state, token, flags);

    /// <summary>
    /// The worker's one loop: serves its connection until it parks or closes, then (a loop's
    /// worker) waits in the pool for the next. All awaits live here, so the state machine box is
    /// allocated once per worker, not per connection or exchange.
    /// </summary>
    private async Task RunAsync()
    {
        while (true)
        {
            var closing = true;
            try
            {
                var next = TakeHandedOff() ?? (_fresh ? (_http2Stream ? BeginHttp2StreamExchange() : BeginNextRequest()) : IoOperation.ReadClient);
                while (next != IoOperation.Close)
                {
                    if (ParkedBetweenRequests(next))
                    {
                        closing = false;
                        break;
                    }
                    _fault = null;
                    try
                    {
                        switch (next)
                        {
                            case IoOperation.ReadClient:
                                _read = await _input.ReadAsync().ConfigureAwait(false);
                                break;
                            case IoOperation.ReadUpstream:
                                _read = await _leg.Connection!.Input.ReadAsync().ConfigureAwait(false);
                                break;
                            case IoOperation.FlushClient:
                                var flushing = HandedOffFlush() ?? _output.FlushAsync();
                                if (flushing.IsCompleted || !WatchClientFlush())
                                {
                                    _flush = await flushing.ConfigureAwait(false);
                                    break;
                                }
                                // The client is slow to take this: judged against min_response_rate (Http1ProxyConnection.Rates.cs).
                                do
                                {
                                    _flush = await flushing.ConfigureAwait(false);
                                    if (_loop is not null && !_loop.IsCurrent)
                                    {
                                        await _loop.SwitchTo();
                                    }
                                }
                                while (ClientFlushGoesOn(_flush, ref flushing));
                                break;
                            case IoOperation.FlushUpstream:
                                _flush = await (HandedOffFlush() ?? _leg.Connection!.Output.FlushAsync()).ConfigureAwait(false);
                                break;
                            case IoOperation.Connect:
                                _leg.Connection = await _leg.ConnectAsync(_exchange).ConfigureAwait(false);
                                break;
                            case IoOperation.JoinPump:
                                await _pump.ConfigureAwait(false);
                                break;
                            case IoOperation.Tunnel:
                                await _tunnel!.RunAsync().ConfigureAwait(false);
                                break;
                            case IoOperation.AwaitStage:
                                try
                                {
                                    _stageOutcome = await _pendingStage.ConfigureAwait(false);
                                }
                                catch (Exception ex)
                                {
                                    // A stage's failure is its exchange's, answered 500; the connection lives on.
                                    _stageFault = ex;
                                }
                                break;
                        }
                    }
                    catch (Exception ex) when (IsConnectionFault(ex) || ex is OperationCanceledException)
                    {
                        _fault = ex;
                    }
                    if (_loop is not null && !_loop.IsCurrent)
                    {
                        await _loop.SwitchTo();
                    }
                    next = Continue();
                }
            }
            catch (Exception ex) when (IsConnectionFault(ex))
            {
                // The client went away mid-write: nothing to answer.
            }
            catch (Exception ex)
            {
                LogFailure(ex);
            }
            if (_loop is not null && !_loop.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            if (closing)
            {
                Close();
            }
            if (!Detach())
            {
                return;
            }
            await WaitForClientAsync();
        }
    }

    /// <summary>
    /// Runs the exchange of a woken connection on the loop with no async hop, from
    /// <paramref name="next"/>, for as long as each I/O either completes at once (a read of bytes
    /// at hand, a flush the kernel takes whole) or can wait by parking on its socket: the next
    /// request head on the client's (the connection parks, as RunAsync would park it) and the
    /// response on a loop upstream's (this worker is told when it is readable, or when a deadline
    /// cancels the read). A small proxied request then costs no resumption of an async state
    /// machine at all, where awaiting its response and its next request cost two. Any other I/O
    /// (a connect, a stage, a request body, a flush that must wait, a read off the loop's sockets)
    /// is handed to <see cref="RunAsync"/>, which waits in <see cref="WaitForClientAsync"/> while
    /// the worker is driven and takes the exchange from there. Loop thread only.
    /// </summary>
    private void Drive(IoOperation next)
    {
        var closing = true;
        try
        {
            while (next != IoOperation.Close)
            {
                if (ParkedBetweenRequests(next))
                {
                    closing = false;
                    break;
                }
                _fault = null;
                try
                {
                    switch (next)
                    {
                        case IoOperation.ReadClient:
                            if (!_input.TryRead(out _read))
                            {
                                HandOff(next);
                                return;
                            }
                            break;
                        case IoOperation.ReadUpstream:
                            var upstream = _leg.Connection!.Input;
                            if (!upstream.TryRead(out _read))
                            {
                                if (_pumpRunning || !EpollConnection.TryParkReader(upstream, this))
                                {
                                    HandOff(next);
                                }
                                return;
                            }
                            break;
                        case IoOperation.FlushClient:
                        case IoOperation.FlushUpstream:
                            var flushing = next == IoOperation.FlushClient ? _output.FlushAsync() : _leg.Connection!.Output.FlushAsync();
                            if (!flushing.IsCompleted)
                            {
                                _handedOffFlush = flushing;
                                HandOff(next);
                                return;
                            }
                            _flush = flushing.Result;
                            break;
                        default:
                            HandOff(next);
                            return;
                    }
                }
                catch (Exception ex) when (IsConnectionFault(ex) || ex is OperationCanceledException)
                {
                    _fault = ex;
                }
                next = Continue();
            }
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // The client went away mid-write: nothing to answer.
        }
        catch (Exception ex)
        {
            LogFailure(ex);
        }
        if (closing)
        {
            Close();
        }
        // Back to the pool (or dropped when it is full); RunAsync still waits for the next connection.
        Detach();
    }

    /// <summary>The upstream a driven exchange parked on is readable, or its read was cancelled.</summary>
    void IParkedReader.OnReadable() => Drive(IoOperation.ReadUpstream);

    /// <summary>Resumes RunAsync, waiting in WaitForClientAsync, inline: it performs <paramref name="next"/> and goes on from there.</summary>
    private void HandOff(IoOperation next)
    {
        _handedOff = next;
        _bound.SetResult(true);
    }

    private IoOperation? TakeHandedOff()
    {
        var next = _handedOff;
        _handedOff = null;
        return next;
    }

    /// <summary>The flush a driven worker started and handed off, taken once; null when none.</summary>
    private ValueTask<FlushResult>? HandedOffFlush()
    {
        var flushing = _handedOffFlush;
        _handedOffFlush = null;
        return flushing;
    }

    /// <summary>Idle between requests, the connection parked: the transport tells it when to go on.</summary>
    private bool ParkedBetweenRequests(IoOperation next) => next == IoOperation.ReadClient && CanPark() && _client.TryPark();

    private void LogFailure(Exception ex) =>
        _gateway.Log.Error($"connection from {System.Text.Encoding.ASCII.GetString(_clientAddress)} failed: {ex}");

    /// <summary>Waiting for the next request with nothing in hand: the connection may park.</summary>
    private bool CanPark() => _pooled && _state == ExchangeState.ReadingHead && _current is null && _betweenExchanges;

    /// <summary>Runs the exchange state machine one step, after the last I/O completed.</summary>
    private IoOperation Continue()
    {
        if (_pumpRunning && _pumpAttention && _state != ExchangeState.JoiningPump)
        {
            // The request body failed (client gone, bad framing, too large): whatever the loop
            // was waiting for, the exchange ends.
            return JoinPump(AfterPump.PumpDecides);
        }
        return Step();
    }

    private IoOperation Step() => _state switch
    {
        ExchangeState.ReadingHead => OnHeadBytes(),
        ExchangeState.Connecting => OnConnected(),
        ExchangeState.SendingContinue => OnContinueSent(),
        ExchangeState.FlushingRequest => OnRequestFlushed(),
        ExchangeState.JoiningPump => OnPumpJoined(),
        ExchangeState.ReadingResponseHead => OnResponseHeadBytes(),
        ExchangeState.ReadingResponseBody => OnResponseBodyBytes(),
        ExchangeState.FlushingResponseBody => OnResponseBodyFlushed(),
        ExchangeState.FlushingResponse => OnResponseFlushed(),
        ExchangeState.Lingering => OnLingerBytes(),
        ExchangeState.AwaitingStage => OnStageAwaited(),
        ExchangeState.BufferingRequestBody => OnBufferedBodyBytes(),
        ExchangeState.SendingSwitch => OnSwitchSent(),
        ExchangeState.Tunneling => OnTunnelEnded(),
        _ => OnLocalFlushed(),
    };

    /// <summary>Waits for the next request head on the snapshot that is current now.</summary>
    private IoOperation BeginNextRequest()
    {
        var snapshot = _gateway.Current;
        if (!ReferenceEquals(snapshot, _snapshot))
        {
            var listener = snapshot.Listener(_listenerName);
            if (listener is null)
            {
                // The listener left the config: this connection ends between exchanges.
                return IoOperation.Close;
            }
            _snapshot = snapshot;
            _listenerIndex = snapshot.ListenerIndex(_listenerName);
            _limits = listener.Limits;
            _clientTrusted = IsTrusted(_clientAddress, _limits.TrustedProxies);
        }
        _state = ExchangeState.ReadingHead;
        _headScan.Reset();
        _betweenExchanges = true;
        // Pairs with the barrier in CloseWhenIdle: either we see its flag here, or it sees
        // ours and cancels the read we are about to start.
        Interlocked.MemoryBarrier();
        if (_closeWhenIdle)
        {
            return IoOperation.Close;
        }
        Arm(TimeoutKind.KeepAliveIdle, _limits.IdleTimeout);
        return IoOperation.ReadClient;
    }

    private IoOperation OnHeadBytes()
    {
        if (_fault is not null)
        {
            return IoOperation.Close;
        }
        var result = _read;
        var buffer = result.Buffer;
        if (result.IsCanceled)
        {
            var fired = _deadline.Fired;
            // Examined nothing: bytes that came with the cancel are seen again at once.
            _input.AdvanceTo(buffer.Start);
            if (fired == TimeoutKind.RequestHead)
            {
                OnRequestHeadTimeout();
                return AnswerLocal(408, close: true);
            }
            // A fired deadline is never left pending (it fires once per arming), so any other
            // kind closes too rather than wait on a deadline that cannot fire again.
            return fired != TimeoutKind.None || _closeWhenIdle ? IoOperation.Close : IoOperation.ReadClient;
        }
        // Before the head timeout is armed: a head that came whole needs none, and arming it only
        // to disarm it at once cost a deadline and a timer rearm per request.
        if (TryStartWholeHeadExchange(buffer, out var next))
        {
            return next;
        }
        if (!buffer.IsEmpty && _deadline.Armed == TimeoutKind.KeepAliveIdle)
        {
            _betweenExchanges = false;
            Arm(TimeoutKind.RequestHead, _limits.HeaderTimeout);
        }
        if (Http1Parser.TryFindRequestHeadEnd(buffer, ref _headScan, _limits.MaxHeaderBytes, _limits.MaxRequestLineBytes, out var headLength, out var error))
        {
            CopyHead(buffer, headLength);
            _input.AdvanceTo(buffer.GetPosition(headLength));
            _betweenExchanges = false;
            Disarm();
            return StartExchange();
        }
        if (error != Http1Error.None)
        {
            _input.AdvanceTo(buffer.End);
            return AnswerLocal(error.ToStatusCode(), close: true);
        }
        if (result.IsCompleted)
        {
            // The client closed; an incomplete head gets no answer (nobody would read it).
            _input.AdvanceTo(buffer.End);
            return IoOperation.Close;
        }
        _input.AdvanceTo(buffer.Start, buffer.End);
        return IoOperation.ReadClient;
    }

    /// <summary>Copies the head out of the pipe into the exchange's head array, which the parsed ranges point into.</summary>
    private void CopyHead(in ReadOnlySequence<byte> buffer, int headLength)
    {
        TakeExchange();
        _request.Reset();
        var bytes = _current!.RequestHeadArray.Get(headLength);
        buffer.Slice(0, headLength).CopyTo(bytes);
        _request.Buffer = bytes;
        _request.Length = headLength;
    }

    /// <summary>Takes an exchange from the gateway's pool for the request now arriving (once per exchange).</summary>
    private void TakeExchange()
    {
        if (_current is null)
        {
            var exchange = _gateway.Exchanges.Rent();
            exchange.ClientAddressBytes = _clientAddress;
            exchange.ClientIpBytes = _clientIp;
            exchange.ClientTls = _client.Tls;
            _current = exchange;
        }
    }

    /// <summary>Gives the exchange back to the pool (at the end of <see cref="FinishExchange"/>), its head's buffer and its leg released.</summary>
    private void ReturnExchange()
    {
        var exchange = _current!;
        ReleaseHead();
        exchange.Clear();
        _current = null;
        _gateway.Exchanges.Return(exchange);
    }

    private void ReleaseHead()
    {
        _request.Reset();
        _current!.RequestHeadArray.Done();
    }

    private void Arm(TimeoutKind kind, TimeSpan timeout) => Arm(kind, (long)(timeout.TotalSeconds * Stopwatch.Frequency));

    private void Arm(TimeoutKind kind, long ticks)
    {
        var at = LoopClock.Now + ticks;
        _deadline.Arm(kind, at);
        if (_loop is not null)
        {
            _client.ScheduleTimer(at);
        }
    }

    // The timer stays where it is (see Http1ClientConnection.ScheduleTimer): it comes up, finds
    // nothing armed and does nothing, unless a new arming has moved it meanwhile.
    private void Disarm() => _deadline.Disarm();

    /// <summary>Arms <see cref="TimeoutKind.Send"/> and names the flush: every flush has a deadline.</summary>
    private IoOperation FlushWithDeadline(IoOperation flush)
    {
        Arm(TimeoutKind.Send, _limits.IdleTimeout);
        return flush;
    }

    /// <summary>
    /// Cancels what the loop awaits (on the loop's thread, or on the thread pool for the
    /// portable transport). A fired deadline cancels every read and flush of the connection: the
    /// loop may be between two I/Os of the same arming, and a cancel with no I/O pending applies
    /// to the next one. A cancel that lands after a re-arm finds no fired deadline and the loop
    /// simply starts that I/O again.
    /// </summary>
    internal void CancelWaits()
    {
        try
        {
            if (_deadline.Fired == TimeoutKind.None)
            {
                if (_closeWhenIdle)
                {
                    _input.CancelPendingRead();
                }
                if (_client.EndStreamsRequested)
                {
                    EndStreams();
                }
                return;
            }
            _input.CancelPendingRead();
            _output.CancelPendingFlush();
            // Read once: the exchange may end (and its leg go back to the pool) meanwhile; a cancel
            // that lands on another connection's upstream is taken there as stale.
            var upstream = _current?.Leg.Connection;
            if (upstream is not null)
            {
                upstream.Input.CancelPendingRead();
                upstream.Output.CancelPendingFlush();
            }
        }
        catch (Exception)
        {
            // The connection or its upstream closed meanwhile: nothing is left to cancel, and an
            // exception on a pool thread would end the process.
        }
    }

    private void Close()
    {
        Disarm();
        _client.CancelTimer();
        FinishExchange();
        _decodedResponse?.Release();
        ReleaseStageTrailers();
        _drainSink?.Release();
        _sseReader?.Release();
        try
        {
            _input.Complete();
            _output.Complete();
        }
        catch (InvalidOperationException)
        {
        }
        _transport.Dispose();
        if (!_http2Stream)
        {
            _gateway.Connections.Remove(_client);
            _gateway.Metrics.ConnectionClosed();
        }
        _client.ReleaseCount();
        _listener?.OnConnectionClosed();
    }

    private static bool IsConnectionFault(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or ConnectionResetException or ConnectionAbortedException
        || (ex is InvalidOperationException && ex.InnerException is IOException or SocketException);
}
