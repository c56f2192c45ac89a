using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
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
/// One downstream HTTP/1.1 connection: reads request heads, forwards each exchange to an
/// upstream and its response back, in order (pipelined requests wait their turn in the pipe).
/// <para>
/// Every await of the connection happens in <see cref="RunAsync"/>, one loop that lives as long
/// as the connection, so its state machine box is allocated once per connection rather than once
/// per exchange (nested async methods would each allocate when they suspend under load). The
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
public sealed partial class Http1ProxyConnection : IHeartbeatTarget, IThreadPoolWorkItem, ILoopTimerTarget
{
    private readonly Gateway _gateway;
    private readonly ConnectionListener? _listener;
    private readonly string _listenerName;
    private readonly ITransport _transport;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    // The loop the connection lives on; null on the portable transport.
    private readonly EventLoop? _loop;
    private LoopTimer? _timer;
    // The exchange in progress, taken from the gateway's pool when a request head has arrived and
    // given back when it ends: a connection between requests holds none.
    private Exchange? _current;
    // Where the search for the end of the request head stopped; reset when a head is consumed.
    private Http1HeadScanState _headScan;
    private readonly byte[] _clientAddress;
    private readonly byte[] _clientIp;
    private readonly ulong _clientHash;

    // Snapshot-derived values, refreshed when the gateway publishes a new snapshot.
    private GatewaySnapshot _snapshot = null!;
    private int _listenerIndex;
    private LimitsModel _limits = null!;

    // Shared with the heartbeat thread and with drain.
    private ConnectionDeadline _deadline;
    private volatile bool _closeWhenIdle;
    private volatile bool _betweenExchanges;

    // The last I/O's outcome, for the state machine.
    private ReadResult _read;
    private FlushResult _flush;
    private Exception? _fault;

    public Http1ProxyConnection(ITransport transport, byte[] clientAddress, Gateway gateway, string listenerName, ConnectionListener? listener)
    {
        _gateway = gateway;
        _listener = listener;
        _listenerName = listenerName;
        _clientAddress = clientAddress;
        _clientHash = LoadBalancing.StableHash.Hash(clientAddress);
        _clientIp = ParseAddress(clientAddress);
        _transport = transport;
        _input = transport.Input;
        _output = transport.Output;
        _loop = (transport as EpollConnection)?.Loop;
    }

    public int RegistrySlot { get; set; } = -1;

    // Valid during an exchange only (between taking and giving back _current).
    private Exchange _exchange => _current!;
    private RequestHead _request => _current!.Request;
    private UpstreamLeg _leg => _current!.Leg;

    /// <summary>Registers the connection and starts its loop; the returned task ends when the connection closes.</summary>
    public Task Start()
    {
        _gateway.Connections.Add(this);
        _gateway.Metrics.ConnectionOpened();
        return RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            var next = BeginNextRequest();
            while (next != IoOperation.Close)
            {
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
                            _flush = await _output.FlushAsync().ConfigureAwait(false);
                            break;
                        case IoOperation.FlushUpstream:
                            _flush = await _leg.Connection!.Output.FlushAsync().ConfigureAwait(false);
                            break;
                        case IoOperation.Connect:
                            _leg.Connection = await _leg.ConnectAsync(_exchange).ConfigureAwait(false);
                            break;
                        case IoOperation.JoinPump:
                            await _pump.ConfigureAwait(false);
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
            _gateway.Log.Error($"connection from {System.Text.Encoding.ASCII.GetString(_clientAddress)} failed: {ex}");
        }
        finally
        {
            if (_loop is not null && !_loop.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            Close();
        }
    }

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
                return AnswerLocal(408, close: true);
            }
            // A fired deadline is never left pending (it fires once per arming), so any other
            // kind closes too rather than wait on a deadline that cannot fire again.
            return fired != TimeoutKind.None || _closeWhenIdle ? IoOperation.Close : IoOperation.ReadClient;
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

    /// <summary>Copies the head out of the pipe into a pooled buffer the parsed ranges point into.</summary>
    private void CopyHead(in ReadOnlySequence<byte> buffer, int headLength)
    {
        TakeExchange();
        _request.Reset();
        var bytes = ArrayPool<byte>.Shared.Rent(headLength);
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
        var bytes = _request.Buffer;
        _request.Reset();
        if (bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void Arm(TimeoutKind kind, TimeSpan timeout) => Arm(kind, (long)(timeout.TotalSeconds * Stopwatch.Frequency));

    private void Arm(TimeoutKind kind, long ticks)
    {
        var at = Stopwatch.GetTimestamp() + ticks;
        _deadline.Arm(kind, at);
        if (_loop is not null)
        {
            (_timer ??= _loop.Timers.Create(this)).Schedule(at);
        }
    }

    private void Disarm()
    {
        _deadline.Disarm();
        _timer?.Cancel();
    }

    /// <summary>Arms <see cref="TimeoutKind.Send"/> and names the flush: every flush has a deadline.</summary>
    private IoOperation FlushWithDeadline(IoOperation flush)
    {
        Arm(TimeoutKind.Send, _limits.IdleTimeout);
        return flush;
    }

    public void OnHeartbeat(long now)
    {
        // On a loop, the deadline is the loop's timer.
        if (_loop is null && _deadline.TryFire(_deadline.Observe(), now, out _))
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void ILoopTimerTarget.OnTimer(long now)
    {
        if (_deadline.TryFire(_deadline.Observe(), now, out _))
        {
            CancelWaits();
        }
    }

    public void CloseWhenIdle()
    {
        _closeWhenIdle = true;
        Interlocked.MemoryBarrier();
        if (_betweenExchanges)
        {
            if (_loop is not null)
            {
                _loop.Post(this);
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }
    }

    /// <summary>
    /// Cancels what the loop awaits, off the heartbeat thread. A fired deadline cancels every
    /// read and flush of the connection: the loop may be between two I/Os of the same arming,
    /// and a cancel with no I/O pending applies to the next one. A cancel that lands after a
    /// re-arm finds no fired deadline and the loop simply starts that I/O again.
    /// </summary>
    void IThreadPoolWorkItem.Execute() => CancelWaits();

    private void CancelWaits()
    {
        try
        {
            if (_deadline.Fired == TimeoutKind.None)
            {
                if (_closeWhenIdle)
                {
                    _input.CancelPendingRead();
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
        FinishExchange();
        _decodedResponse?.Release();
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
        _gateway.Connections.Remove(this);
        _gateway.Metrics.ConnectionClosed();
        _listener?.OnConnectionClosed();
    }

    /// <summary>The client's IP as 4 or 16 bytes, for address checks; empty when the text is not an address.</summary>
    private static byte[] ParseAddress(byte[] text) =>
        System.Net.IPAddress.TryParse(text, out var address) ? address.GetAddressBytes() : [];

    private static bool IsConnectionFault(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or ConnectionResetException or ConnectionAbortedException
        || (ex is InvalidOperationException && ex.InnerException is IOException or SocketException);
}
