using System.Buffers;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// Sending a stream again that the server did not process. RFC 9113 §8.7: a stream reset with
/// REFUSED_STREAM, or above the last stream id of a GOAWAY, was not acted on, so it is safe to
/// send again whatever its method and body; gRPC calls (all POST with a body) are the common
/// case, when a server restarts or sheds load. The stream goes out again on another session of
/// its endpoint (one with room, or a new one), its head encoded anew and its body replayed from
/// what the stream held of it: every decoded body byte is kept up to <see cref="MaxHeldBody"/>,
/// so only a request whose sent part is all still held is resent; a longer one fails as before
/// (the exchange answers 502, or gRPC UNAVAILABLE). The exchange never sees it: its response
/// pipe stays open, it takes no try and no retry budget (it is not the endpoint's failure), and
/// it happens at most <see cref="MaxResends"/> times per request.
/// <para>
/// Threads: a refusal comes on the old session's reader loop. The request pump (on the
/// exchange's thread) does the resend when it is still running; when the request was already
/// sent whole, a run started for the purpose does. <see cref="_gate"/> orders the refusal, the
/// pump's end and <see cref="Dispose"/>, which may all race.
/// </para>
/// </summary>
internal sealed partial class Http2UpstreamStream
{
    /// <summary>The most request body a stream keeps for a resend (the first bytes of it; past them it is not resent).</summary>
    public const int MaxHeldBody = 64 * 1024;
    /// <summary>Resends per request: a server that refuses again and again gets the failure.</summary>
    public const int MaxResends = 2;

    private readonly object _gate = new();
    // The pump runs from the stream's start.
    private bool _pumpBusy = true;
    private bool _refused;
    private Exception? _refusal;
    private int _resends;
    /// <summary>Between leaving the refusing session and joining the next: nothing to release on dispose.</summary>
    private bool _detached;
    private bool _gone;
    private byte[]? _held;
    private int _heldLength;
    private bool _heldOverflow;
    private bool _bodyComplete;

    /// <summary>The endpoint whose sessions the stream may be sent on again; null: never resent.</summary>
    internal EndpointState? Endpoint { get; set; }

    /// <summary>A refusal waits for the pump to send the stream again.</summary>
    private bool IsRefused => Volatile.Read(ref _refused);

    /// <summary>
    /// Under the new session's lock, as it admits the stream: a fresh stream for it (an id is
    /// given when the HEADERS go out again).
    /// </summary>
    internal void Readmit()
    {
        Id = 0;
        Released = false;
        RemoteReset = false;
        SendWindow = default;
    }

    /// <summary>
    /// The server did not process the stream: true when it will be sent again (the pump is woken,
    /// or a run started), false when it cannot be (its response came, its body is no longer all
    /// held, the resends are spent, or the exchange left).
    /// </summary>
    private bool TryResend(Exception reason)
    {
        bool start;
        lock (_gate)
        {
            if (_gone || HeadSeen || Endpoint is null || _heldOverflow || _resends >= MaxResends)
            {
                return false;
            }
            _refused = true;
            _refusal = reason;
            start = !_pumpBusy;
            _pumpBusy = true;
        }
        if (start)
        {
            // Off the session's reader loop: the resend may open a connection.
            ThreadPool.UnsafeQueueUserWorkItem(static stream => _ = stream.ResendRunAsync(), this, preferLocal: false);
            return true;
        }
        // The pump may be waiting for window or for the next body bytes.
        WindowChanged();
        try
        {
            _request.Reader.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // The pump already let its reader go.
        }
        return true;
    }

    /// <summary>The request had gone out whole when it was refused: sends it again from what is held.</summary>
    private async Task ResendRunAsync()
    {
        try
        {
            while (true)
            {
                var step = await ResendAsync().ConfigureAwait(false);
                if (step is SendStep.Failed or SendStep.Body)
                {
                    // Body cannot come: the whole body was held.
                    PumpIdle();
                    return;
                }
                if (step == SendStep.Sent && !PumpDone())
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            CompleteResponse(new IOException("the request could not be sent again on HTTP/2", ex));
            PumpIdle();
        }
    }

    /// <summary>
    /// Leaves the refusing session and sends the head and the held body on another; the stream
    /// then goes on as any (<see cref="SendStep.Body"/>: the exchange's body follows).
    /// </summary>
    private async Task<SendStep> ResendAsync()
    {
        Exception reason;
        Http2UpstreamSession old;
        bool possible;
        lock (_gate)
        {
            reason = _refusal!;
            _refused = false;
            if (_gone)
            {
                return SendStep.Failed;
            }
            possible = !HeadSeen && !_heldOverflow && _resends < MaxResends && Endpoint is not null;
            old = _session;
            if (possible)
            {
                _resends++;
                _detached = true;
            }
        }
        if (!possible)
        {
            CompleteResponse(reason);
            return SendStep.Failed;
        }
        old.Release(this, reset: false);
        Http2UpstreamSession next;
        try
        {
            next = await Endpoint!.AdmitResentAsync(this, old).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            CompleteResponse(new IOException($"{reason.Message}; no connection took it again: {ex.Message}", ex));
            return SendStep.Failed;
        }
        bool gone;
        lock (_gate)
        {
            gone = _gone;
            if (!gone)
            {
                _session = next;
                _detached = false;
            }
        }
        if (gone)
        {
            next.Release(this, reset: false);
            return SendStep.Failed;
        }
        var trailers = _trailers?.WrittenCount ?? 0;
        var endAtHead = _bodyComplete && _heldLength == 0 && trailers == 0;
        if (!next.SendHeaders(this, _fields, endAtHead))
        {
            FailResponse(new IOException("the HTTP/2 upstream connection closed before the request went out"), refused: true);
            return IsRefused ? SendStep.Refused : SendStep.Failed;
        }
        if (endAtHead)
        {
            _requestEnded = true;
            return SendStep.Sent;
        }
        if (_heldLength > 0 || _bodyComplete && trailers == 0)
        {
            if (!await SendDataAsync(_held.AsMemory(0, _heldLength), endStream: _bodyComplete && trailers == 0).ConfigureAwait(false))
            {
                return IsRefused ? SendStep.Refused : SendStep.Failed;
            }
        }
        if (!_bodyComplete)
        {
            return SendStep.Body;
        }
        if (trailers > 0)
        {
            next.SendTrailers(this, _trailers!.WrittenSpan);
        }
        _requestEnded = true;
        return SendStep.Sent;
    }

    /// <summary>
    /// Keeps a decoded piece of the body (before it is sent) for a resend, while all of it fits;
    /// past <see cref="MaxHeldBody"/> nothing is kept and the stream is not resent.
    /// </summary>
    private void Hold(ReadOnlySpan<byte> bytes, bool complete)
    {
        lock (_gate)
        {
            _bodyComplete = complete;
            if (_heldOverflow || bytes.IsEmpty)
            {
                return;
            }
            var needed = _heldLength + bytes.Length;
            if (needed > MaxHeldBody)
            {
                _heldOverflow = true;
                ReturnHeld();
                return;
            }
            if (_held is null || _held.Length < needed)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Min(MaxHeldBody, Math.Max(needed, 2 * (_held?.Length ?? 2048))));
                _held.AsSpan(0, _heldLength).CopyTo(grown);
                if (_held is not null)
                {
                    ArrayPool<byte>.Shared.Return(_held);
                }
                _held = grown;
            }
            bytes.CopyTo(_held.AsSpan(_heldLength));
            _heldLength = needed;
        }
    }

    /// <summary>
    /// The pump sent the request whole: false when it may stop (a later refusal starts a run of
    /// its own), true when a refusal is waiting for it.
    /// </summary>
    private bool PumpDone()
    {
        lock (_gate)
        {
            if (_refused && !_gone)
            {
                return true;
            }
            _pumpBusy = false;
            if (_gone)
            {
                ReleaseRequestBuffers();
            }
            return false;
        }
    }

    /// <summary>The pump stops for good; a refusal it had not taken up fails the response.</summary>
    private void PumpIdle()
    {
        Exception? unanswered;
        lock (_gate)
        {
            unanswered = _refused ? _refusal : null;
            _refused = false;
            _pumpBusy = false;
            if (_gone)
            {
                ReleaseRequestBuffers();
            }
        }
        if (unanswered is not null)
        {
            CompleteResponse(unanswered);
        }
    }

    /// <summary>The exchange let the stream go: the session to give it back to, null while it is between sessions.</summary>
    private Http2UpstreamSession? Detach()
    {
        lock (_gate)
        {
            _gone = true;
            if (!_pumpBusy)
            {
                ReleaseRequestBuffers();
            }
            return _detached ? null : _session;
        }
    }

    /// <summary>Under the gate, once neither the pump nor the exchange needs them: the held head and body go back.</summary>
    private void ReleaseRequestBuffers()
    {
        ReturnHeld();
        var head = _fields.Head;
        if (head.Buffer.Length > 0)
        {
            var bytes = head.Buffer;
            head.Buffer = [];
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void ReturnHeld()
    {
        if (_held is not null)
        {
            ArrayPool<byte>.Shared.Return(_held);
            _held = null;
        }
        _heldLength = 0;
    }
}
