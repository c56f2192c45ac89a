using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastGate.Core.Transport.Epoll;
using FastGate.Core.WebSockets;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.WebSockets;

/// <summary>
/// The frames of one upgraded connection, after the 101: two directions (client to upstream,
/// upstream to client) copy bytes as they come, each direction through its own
/// <see cref="WebSocketFrameValidator"/> (RFC 6455 §5: masking, opcodes, control frames,
/// continuation order, sizes, UTF-8), which reads the bytes in place and never unmasks a copy.
/// <para>
/// How a tunnel ends:
/// <list type="bullet">
/// <item>A close handshake passes through untouched; the upstream then ends its TCP stream, the
/// FIN goes on to the client, and the client's FIN ends the tunnel.</item>
/// <item>A FIN from one side is passed on; the other direction gets <see cref="EndGrace"/> to end too.</item>
/// <item>A violation, a timeout (stream idle: no byte either way; max duration) or the drain
/// makes each direction send a close frame of its own (the validator's code, or 1001 Going Away)
/// to the side it writes to, at the next message boundary of what it forwarded (a close in the
/// middle of a frame would be read as payload), then a FIN; whatever comes after is read and
/// dropped. A direction that has already forwarded a close sends none of its own.</item>
/// <item>Anything not over within <see cref="EndGrace"/> of one of these, a reset or a failed
/// send closes both sides at once.</item>
/// </list>
/// </para>
/// <para>
/// On an <see cref="EventLoop"/> both directions, the timer and every state change run on the
/// loop's thread: each direction is driven from the loop's callbacks (<see cref="Drive"/>: read,
/// validate, write, flush, park the reader on its socket), and only what must wait goes to an
/// async pump, whose every await switches back. On the portable transport each direction is an
/// async pump, and the two may run on two threads:
/// what they share is written with atomics, each writes only its own output, and the timer
/// (a thread-pool timer) only sets flags and cancels waits. The tunnel keeps the upstream
/// connection for itself: it was taken out of its endpoint's pool, so no reload (which closes idle
/// pooled connections of retired endpoints) can reach it, and it is closed, never pooled, at the end.
/// A direction holds no buffer of its own: between reads an idle tunnel holds what the transports
/// hold for a pending (or parked) read, which on the loop transport is nothing.
/// </para>
/// </summary>
internal sealed class WebSocketTunnel : ILoopTimerTarget, IThreadPoolWorkItem
{
    /// <summary>How long a tunnel may take to finish once it is ending (a close to send at a message boundary, the other side's FIN).</summary>
    internal static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(1);

    private const int MaxCloseFrame = WebSocketFrameWriter.MaxCloseFrameLength;

    private readonly PipeReader _clientInput;
    private readonly PipeWriter _clientOutput;
    private readonly UpstreamConnection _upstream;
    private readonly EventLoop? _loop;
    private readonly WebSocketMetrics _metrics;
    private readonly long _idleTicks;
    private readonly long _maxDue;
    private readonly long _graceTicks;
    // One per direction, each touched only by what runs that direction (Drive or its pump).
    private WebSocketFrameValidator _fromClient;
    private WebSocketFrameValidator _fromUpstream;
    private readonly WebSocketTunnelDirection _toUpstream;
    private readonly WebSocketTunnelDirection _toClient;
    // Directions not over yet; the last one to end finishes the tunnel and completes _done.
    private int _directionsLeft = 2;
    private readonly TaskCompletionSource _done = new();

    private LoopTimer? _loopTimer;
    private ITimer? _poolTimer;
    // Off a loop, the pumps and the timer may reschedule at once: the earlier due time must win.
    private readonly Lock _poolTimerLock = new();
    private long _timerDue;
    private long _lastActivity;
    // When the tunnel is closed whatever state it is in (0: not ending).
    private long _endDue;
    private int _ending;
    private volatile bool _endingVisible;
    private WebSocketCloseReason _endReason;
    private ushort _endCode;
    private string? _endText;
    private volatile bool _closeFromClient;
    private volatile bool _closeFromUpstream;
    private int _aborted;
    private volatile bool _reset;
    private int _finished;

    /// <param name="streamIdle">No byte either way for this long ends the tunnel (1001); null: never.</param>
    /// <param name="maxDuration">The tunnel ends this long after it opened (1001); null: never.</param>
    public WebSocketTunnel(
        PipeReader clientInput, PipeWriter clientOutput, UpstreamConnection upstream, EventLoop? loop, WebSocketMetrics metrics,
        WebSocketLimits limits, bool compressionNegotiated, TimeSpan? streamIdle, TimeSpan? maxDuration)
    {
        _clientInput = clientInput;
        _clientOutput = clientOutput;
        _upstream = upstream;
        _loop = loop;
        _metrics = metrics;
        _fromClient = new WebSocketFrameValidator(limits, fromClient: true, compressionNegotiated);
        _fromUpstream = new WebSocketFrameValidator(limits, fromClient: false, compressionNegotiated);
        _toUpstream = new WebSocketTunnelDirection(this, fromClient: true, clientInput, upstream.Output);
        _toClient = new WebSocketTunnelDirection(this, fromClient: false, upstream.Input, clientOutput);
        var now = Stopwatch.GetTimestamp();
        _lastActivity = now;
        _idleTicks = streamIdle is { } idle && idle > TimeSpan.Zero ? Ticks(idle) : 0;
        _maxDue = maxDuration is { } max && max > TimeSpan.Zero ? now + Ticks(max) : 0;
        _graceTicks = Ticks(EndGrace);
    }

    /// <summary>Bytes the client sent through the tunnel.</summary>
    public long BytesFromClient { get; private set; }

    /// <summary>Bytes the upstream sent through the tunnel.</summary>
    public long BytesFromUpstream { get; private set; }

    /// <summary>Why the tunnel ended; valid once <see cref="RunAsync"/> has completed.</summary>
    public WebSocketCloseReason Reason { get; private set; }

    private bool Aborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>
    /// Forwards until both directions are over; the upstream connection is closed when this
    /// completes. On a loop, called on the loop's thread (as every step of the exchange that opens it).
    /// </summary>
    public Task RunAsync()
    {
        _metrics.Opened();
        if (_loop is null)
        {
            _poolTimer = TimeProvider.System.CreateTimer(static state => ((WebSocketTunnel)state!).OnPoolTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        ScheduleNext(Stopwatch.GetTimestamp());
        if (_loop is not null)
        {
            // On the loop's thread (the exchange's step that opened the tunnel): each direction is
            // driven from here, then from its socket's readiness.
            Drive(_toUpstream);
            Drive(_toClient);
        }
        else
        {
            _ = PumpAsync(_toUpstream, null, sideEnded: false);
            _ = PumpAsync(_toClient, null, sideEnded: false);
        }
        return _done.Task;
    }

    /// <summary>
    /// The daemon drains: each side gets close 1001 at its next message boundary, and the tunnel
    /// ends (after <see cref="EndGrace"/> at the latest). Any thread.
    /// </summary>
    internal void EndForDrain()
    {
        if (_loop is not null && !_loop.IsCurrent)
        {
            _loop.Post(this);
            return;
        }
        BeginEnd(WebSocketCloseReason.Drain, WebSocketCloseCodes.GoingAway, "server shutting down");
    }

    void IThreadPoolWorkItem.Execute() => BeginEnd(WebSocketCloseReason.Drain, WebSocketCloseCodes.GoingAway, "server shutting down");

    /// <summary>
    /// Runs one direction on the loop's thread with no async resumption, for as long as each step
    /// completes at once: reads what the socket holds, validates it in place, writes and flushes it,
    /// and parks the reader on its socket when there is nothing more (the loop calls back here when
    /// it is readable, or when a cancel, the drain or a deadline, wakes it). Whatever would wait
    /// otherwise goes to <see cref="PumpAsync"/>: a flush the kernel did not take whole, a reader
    /// that cannot park (a TLS pipe), and the ending of the direction (a close of the tunnel's own
    /// to send). A message then costs a receive, a send and no state machine at all.
    /// </summary>
    internal void Drive(WebSocketTunnelDirection direction)
    {
        Debug.Assert(_loop is not null && _loop.IsCurrent);
        var from = direction.From;
        var to = direction.To;
        try
        {
            while (!Aborted)
            {
                if (direction.Phase != WebSocketTunnelPhase.Forwarding || (_endingVisible && AtMessageBoundary(direction.FromClient)))
                {
                    _ = PumpAsync(direction, null, sideEnded: false);
                    return;
                }
                if (!from.TryRead(out var result))
                {
                    if (direction.Drivable && EpollConnection.TryParkReader(from, direction))
                    {
                        return;
                    }
                    direction.Drivable = false;
                    _ = PumpAsync(direction, null, sideEnded: false);
                    return;
                }
                var buffer = result.Buffer;
                if (buffer.IsEmpty)
                {
                    from.AdvanceTo(buffer.End);
                    if (result.IsCompleted)
                    {
                        SideEnded(to);
                        break;
                    }
                    continue;
                }
                if (!Forward(direction.FromClient, buffer, to, out var boundaryBefore))
                {
                    from.AdvanceTo(buffer.End);
                    direction.SendClose = boundaryBefore;
                    direction.Phase = WebSocketTunnelPhase.Closing;
                    continue;
                }
                from.AdvanceTo(buffer.End);
                var flushing = to.FlushAsync();
                if (!flushing.IsCompleted)
                {
                    // The receiving side is slow: the pump waits for the flush (holding back this
                    // direction's reads meanwhile) and hands the direction back here after it.
                    _ = PumpAsync(direction, flushing, result.IsCompleted);
                    return;
                }
                if (!GoesOnAfterFlush(flushing.Result, to, result.IsCompleted))
                {
                    break;
                }
            }
        }
        catch (Exception)
        {
            // A reset, a failed send, or the transports closing under an abort.
            if (!Aborted)
            {
                _reset = true;
            }
        }
        DirectionEnded();
    }

    /// <summary>
    /// One direction, awaiting its reads and flushes: every direction off the loops, and on a loop
    /// one that has something to wait for (see <see cref="Drive"/>); there it goes back to being
    /// driven once a flush it waited for is through. Each read is validated, written out and
    /// flushed before the next read, so a slow receiver holds back its sender and memory stays at
    /// what the pipes hold. <paramref name="started"/> is a flush a driven turn began, of a read
    /// that ended the side when <paramref name="sideEnded"/>.
    /// </summary>
    private async Task PumpAsync(WebSocketTunnelDirection direction, ValueTask<FlushResult>? started, bool sideEnded)
    {
        var fromClient = direction.FromClient;
        var from = direction.From;
        var to = direction.To;
        try
        {
            if (started is { } flushing)
            {
                var flush = await flushing.ConfigureAwait(false);
                if (_loop is not null && !_loop.IsCurrent)
                {
                    await _loop.SwitchTo();
                }
                if (!GoesOnAfterFlush(flush, to, sideEnded))
                {
                    goto Ended;
                }
                if (_loop is not null && direction.Drivable)
                {
                    Drive(direction);
                    return;
                }
            }
            while (!Aborted)
            {
                if (direction.Phase == WebSocketTunnelPhase.Forwarding && _endingVisible && AtMessageBoundary(fromClient))
                {
                    direction.Phase = WebSocketTunnelPhase.Closing;
                }
                if (direction.Phase == WebSocketTunnelPhase.Closing)
                {
                    if (direction.SendClose && !CloseForwarded(fromClient))
                    {
                        WriteClose(to, masked: fromClient);
                        await to.FlushAsync().ConfigureAwait(false);
                        if (_loop is not null && !_loop.IsCurrent)
                        {
                            await _loop.SwitchTo();
                        }
                        if (Aborted)
                        {
                            break;
                        }
                    }
                    // The FIN after our close: the peer answers its close and ends too.
                    to.Complete();
                    direction.Phase = WebSocketTunnelPhase.Discarding;
                }
                var result = await from.ReadAsync().ConfigureAwait(false);
                if (_loop is not null && !_loop.IsCurrent)
                {
                    await _loop.SwitchTo();
                }
                if (Aborted)
                {
                    break;
                }
                var buffer = result.Buffer;
                if (direction.Phase == WebSocketTunnelPhase.Discarding || buffer.IsEmpty)
                {
                    from.AdvanceTo(buffer.End);
                    if (result.IsCompleted)
                    {
                        if (direction.Phase == WebSocketTunnelPhase.Forwarding)
                        {
                            SideEnded(to);
                        }
                        break;
                    }
                    continue;
                }
                if (!Forward(fromClient, buffer, to, out var boundaryBefore))
                {
                    from.AdvanceTo(buffer.End);
                    // Nothing of this read went out. A close can follow what did only if that
                    // ended at a message boundary; otherwise the peer would read it as payload.
                    direction.SendClose = boundaryBefore;
                    direction.Phase = WebSocketTunnelPhase.Closing;
                    continue;
                }
                from.AdvanceTo(buffer.End);
                var flush = await to.FlushAsync().ConfigureAwait(false);
                if (_loop is not null && !_loop.IsCurrent)
                {
                    await _loop.SwitchTo();
                }
                if (!GoesOnAfterFlush(flush, to, result.IsCompleted))
                {
                    break;
                }
            }
        }
        catch (Exception)
        {
            // A reset, a failed send, or the transports closing under an abort.
            if (!Aborted)
            {
                _reset = true;
            }
        }
    Ended:
        if (_loop is not null && !_loop.IsCurrent)
        {
            await _loop.SwitchTo();
        }
        DirectionEnded();
    }

    /// <summary>
    /// After the flush of a forwarded read: false when the direction is over (the tunnel aborted,
    /// the receiving side gone, or the read was the sending side's last).
    /// </summary>
    private bool GoesOnAfterFlush(FlushResult flush, PipeWriter to, bool sideEnded)
    {
        if (Aborted)
        {
            return false;
        }
        if (flush.IsCompleted || flush.IsCanceled)
        {
            // The receiving side is gone: nothing more can reach it, so both sides close.
            _reset = true;
            return false;
        }
        if (sideEnded)
        {
            SideEnded(to);
            return false;
        }
        return true;
    }

    /// <summary>A direction is over (on the loop's thread when there is one): the last one finishes the tunnel.</summary>
    private void DirectionEnded()
    {
        if (_reset)
        {
            Abort();
        }
        if (Interlocked.Decrement(ref _directionsLeft) != 0)
        {
            return;
        }
        try
        {
            Finish();
        }
        catch (Exception ex)
        {
            _done.SetException(ex);
            return;
        }
        _done.SetResult();
    }

    /// <summary>
    /// Validates one read and, when it is valid, writes it to <paramref name="to"/> as it is.
    /// False on a violation: nothing is written and the tunnel starts ending with the validator's code.
    /// </summary>
    private bool Forward(bool fromClient, in ReadOnlySequence<byte> buffer, PipeWriter to, out bool boundaryBefore)
    {
        ref var validator = ref fromClient ? ref _fromClient : ref _fromUpstream;
        boundaryBefore = validator.AtMessageBoundary;
        if (validator.Validate(buffer) != WebSocketFrameStatus.Ok)
        {
            var code = validator.CloseCode;
            BeginEnd(ViolationReason(code), code, validator.Reason);
            return false;
        }
        if (buffer.IsSingleSegment)
        {
            to.Write(buffer.FirstSpan);
        }
        else
        {
            foreach (var segment in buffer)
            {
                to.Write(segment.Span);
            }
        }
        var length = buffer.Length;
        // The loop's turn time on a loop (no clock read per message): close enough for an idle timeout.
        Volatile.Write(ref _lastActivity, _loop?.Now ?? Stopwatch.GetTimestamp());
        if (fromClient)
        {
            BytesFromClient += length;
        }
        else
        {
            BytesFromUpstream += length;
        }
        _metrics.AddBytes(fromClient, length);
        if (validator.CloseSeen)
        {
            // Both closes through: the handshake is over and only the FINs are left to come.
            if (fromClient)
            {
                _closeFromClient = true;
            }
            else
            {
                _closeFromUpstream = true;
            }
            if (_closeFromClient && _closeFromUpstream)
            {
                ArmEndGrace();
            }
        }
        return true;
    }

    private bool AtMessageBoundary(bool fromClient) => fromClient ? _fromClient.AtMessageBoundary : _fromUpstream.AtMessageBoundary;

    /// <summary>
    /// A close went through this direction: the side it writes to has its close and gets none of
    /// ours. A close the validator passed in a read that failed later went nowhere, so it counts not.
    /// </summary>
    private bool CloseForwarded(bool fromClient) => fromClient ? _closeFromClient : _closeFromUpstream;

    /// <summary>Writes the tunnel's close frame: masked with a random key towards the upstream (RFC 6455 §5.3), plain towards the client.</summary>
    private void WriteClose(PipeWriter to, bool masked)
    {
        var key = masked ? (uint)Random.Shared.Next() ^ ((uint)Random.Shared.Next() << 1) : 0;
        var written = WebSocketFrameWriter.WriteCloseText(to.GetSpan(MaxCloseFrame), _endCode, _endText, masked, key);
        to.Advance(written);
    }

    /// <summary>This side's stream ended (FIN): the other side gets one too, and the rest of the tunnel a bounded time to end.</summary>
    private void SideEnded(PipeWriter to)
    {
        to.Complete();
        ArmEndGrace();
    }

    /// <summary>
    /// Starts ending the tunnel for <paramref name="reason"/> (the first reason wins): both pumps
    /// are woken to send their close at the next message boundary, within <see cref="EndGrace"/>.
    /// </summary>
    private void BeginEnd(WebSocketCloseReason reason, ushort code, string? text)
    {
        if (Interlocked.CompareExchange(ref _ending, 1, 0) != 0 || Volatile.Read(ref _finished) != 0)
        {
            return;
        }
        _endReason = reason;
        _endCode = code;
        _endText = text;
        _endingVisible = true;
        ArmEndGrace();
        // A pump waiting for bytes looks at the ending now rather than at the next byte.
        try
        {
            _clientInput.CancelPendingRead();
            _upstream.Input.CancelPendingRead();
        }
        catch (Exception)
        {
            // Closed meanwhile: that pump is over anyway.
        }
    }

    private void ArmEndGrace()
    {
        var due = Stopwatch.GetTimestamp() + _graceTicks;
        var current = Volatile.Read(ref _endDue);
        if (current != 0 && current <= due)
        {
            return;
        }
        Volatile.Write(ref _endDue, due);
        Schedule(due);
    }

    /// <summary>Closes both sides now; the pumps' pending reads and flushes end with it. Idempotent.</summary>
    private void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
        Cancel(_clientInput, _clientOutput);
        Cancel(_upstream.Input, _upstream.Output);
    }

    private static void Cancel(PipeReader input, PipeWriter output)
    {
        try
        {
            input.CancelPendingRead();
        }
        catch (Exception)
        {
        }
        try
        {
            output.CancelPendingFlush();
        }
        catch (Exception)
        {
        }
    }

    /// <summary>Both pumps are over: the timer stops, the upstream connection closes (never pooled), and the end is counted.</summary>
    private void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }
        _loopTimer?.Cancel();
        _poolTimer?.Dispose();
        Reason = Volatile.Read(ref _ending) != 0 ? _endReason : _reset ? WebSocketCloseReason.Reset : WebSocketCloseReason.Normal;
        _metrics.Closed(Reason);
        _upstream.Dispose();
    }

    void ILoopTimerTarget.OnTimer(long now)
    {
        _timerDue = 0;
        OnDeadline(now);
    }

    private void OnPoolTimer()
    {
        lock (_poolTimerLock)
        {
            _timerDue = 0;
        }
        OnDeadline(Stopwatch.GetTimestamp());
    }

    /// <summary>One timer per tunnel, rescheduled to the next deadline when it fires rather than on every read.</summary>
    private void OnDeadline(long now)
    {
        if (Volatile.Read(ref _finished) != 0)
        {
            return;
        }
        var endDue = Volatile.Read(ref _endDue);
        if (endDue != 0 && now >= endDue)
        {
            Abort();
            return;
        }
        if (Volatile.Read(ref _ending) == 0)
        {
            if (_idleTicks > 0 && now >= Volatile.Read(ref _lastActivity) + _idleTicks)
            {
                BeginEnd(WebSocketCloseReason.Idle, WebSocketCloseCodes.GoingAway, "idle timeout");
                return;
            }
            if (_maxDue != 0 && now >= _maxDue)
            {
                BeginEnd(WebSocketCloseReason.MaxDuration, WebSocketCloseCodes.GoingAway, "max stream duration");
                return;
            }
        }
        ScheduleNext(now);
    }

    private void ScheduleNext(long now)
    {
        long next = Volatile.Read(ref _endDue);
        if (Volatile.Read(ref _ending) == 0)
        {
            if (_idleTicks > 0)
            {
                next = Earliest(next, Volatile.Read(ref _lastActivity) + _idleTicks);
            }
            if (_maxDue != 0)
            {
                next = Earliest(next, _maxDue);
            }
        }
        if (next != 0)
        {
            Schedule(Math.Max(next, now));
        }
    }

    private static long Earliest(long a, long b) => a == 0 ? b : Math.Min(a, b);

    private void Schedule(long due)
    {
        if (_loop is not null)
        {
            if (_timerDue != 0 && _timerDue <= due)
            {
                return;
            }
            _timerDue = due;
            (_loopTimer ??= _loop.Timers.Create(this)).Schedule(due);
            return;
        }
        lock (_poolTimerLock)
        {
            if (_timerDue != 0 && _timerDue <= due)
            {
                return;
            }
            _timerDue = due;
            var wait = TimeSpan.FromSeconds(Math.Max(due - Stopwatch.GetTimestamp(), 0) / (double)Stopwatch.Frequency);
            _poolTimer?.Change(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, Timeout.InfiniteTimeSpan);
        }
    }

    private static WebSocketCloseReason ViolationReason(ushort code) => code switch
    {
        WebSocketCloseCodes.InvalidPayload => WebSocketCloseReason.Violation1007,
        WebSocketCloseCodes.MessageTooBig => WebSocketCloseReason.Violation1009,
        _ => WebSocketCloseReason.Violation1002,
    };

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
