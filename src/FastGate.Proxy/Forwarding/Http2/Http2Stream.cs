using System.Buffers;
using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Http2;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// One stream of an <see cref="Http2Connection"/>: its protocol state and windows, the bridge on
/// which an <see cref="Http1ProxyConnection"/> serves its one exchange, and the pump that turns
/// the HTTP/1.1 response written there into HEADERS, DATA and trailing HEADERS within the
/// client's windows. The request side (DATA into the bridge) belongs to the connection's read
/// loop; the response side to the pump; shared fields are guarded by the connection's guard
/// (<see cref="Http2Guard"/>).
/// <para>
/// The pump's steps run in the exchange's own flushes of the bridge (and when it completes its
/// output): what was written goes out as frames in that call, so a response that fits the
/// windows (most do) costs no resume of a waiting reader at all. Only a response that must wait
/// for window is handed to the pump's loop, which then reads the rest of that life as a reader
/// of the bridge (<see cref="PumpLoopAsync"/>).
/// </para>
/// <para>
/// Pooled per connection with everything it owns (bridge, worker, pump loop, client state): a
/// stream has up to three owners (the connection's table, the pump, the worker) and goes back
/// to the connection's pool when the last lets go (<see cref="Release"/>). Only the read loop
/// takes streams from the pool, and it resets one there (<see cref="Open"/>), so a reference the
/// read loop still holds can never meet the stream's next life; any other thread that works on
/// a stream it does not own holds an owner reference meanwhile (see ResetStream). When its
/// connection ends the stream goes on to the loop's pool (<see cref="Http2StreamPool"/>), for a
/// stream of the loop's next connections.
/// </para>
/// </summary>
internal sealed partial class Http2Stream : IThreadPoolWorkItem
{
    private const int MaxResponseHeadBytes = 64 * 1024;

    // The connection of the stream's current life: another connection of the same loop when the
    // stream came from the loop's pool (MoveTo).
    private Http2Connection _connection;
    private readonly ResponseHead _head = new();
    private readonly PooledByteBuffer _trailers = new();
    private Http2ChunkReader _chunks;
    // The pump's loop lives as long as the stream object, made the first time a response waits
    // for window: it waits here until a life hands it the rest of its response.
    private readonly Http2Signal _pumpStart = new();
    private bool _pumpStarted;
    // Who reads this life's response (ResponseSide): set by the worker's thread, reset by Open.
    private ResponseSide _responseSide;
    // OnResponseWritten posted to the loop when a completion came from elsewhere: made once per stream object.
    private Action? _responseWrittenOnLoop;
    // The HTTP/1.1 "client connection" the worker serves: fixed per connection, reused with the stream.
    private Http1ClientConnection? _client;
    // Owners: the table (1 from Open until CloseLocked), the pump and the worker (1 each while they run).
    private int _owners;

    public Http2Stream(Http2Connection connection)
    {
        _connection = connection;
        // A stream stays on the loop it was made for (Http2StreamPool): its guard is that loop's.
        RequestGuard = new Http2Guard(connection.Loop);
        Bridge = new Http2StreamTransport(this, connection.Loop);
    }

    /// <summary>
    /// The stream, its owners all done, begins its next life on another connection of the same
    /// loop (<see cref="Http2StreamPool"/>; read loop, before <see cref="Open"/>). The client object
    /// the worker serves carries the last connection's client (address, TLS, listener): the next
    /// exchange keeps it only when the new connection's client is the same (<see cref="ServesClient"/>).
    /// </summary>
    public void MoveTo(Http2Connection connection)
    {
        _connection = connection;
        // An entry the last connection's list of output waiters may still hold is that connection's, not ours.
        InOutputWaiters = false;
    }

    /// <summary>The connection of the stream's current life.</summary>
    public Http2Connection Connection => _connection;

    public int Id { get; private set; }
    public Http2StreamTransport Bridge { get; }
    /// <summary>The stream's exchange worker, made with the stream's first exchange and reused with it.</summary>
    public Http1ProxyConnection? Exchange;
    public readonly Http2Signal Wake = new();
    /// <summary>Guards the request writer: the read loop writes, a reset or the end of the exchange completes it.</summary>
    public readonly Http2Guard RequestGuard;

    // Request side (read loop).
    public bool RemoteEnded;
    public bool RequestChunked;
    public long ExpectedLength = -1;
    public long ReceivedLength;
    public bool RequestWriterDone;
    /// <summary>What the client may still send before we grant more (read loop decrements, the consumer grants).</summary>
    public int ReceiveWindow;
    public bool IsHead;

    // Response side (under the connection's lock).
    public int SendWindow;
    public bool HeadSent;
    public bool LocalEnded;
    public bool Reset;
    public bool Closed;
    public bool RequestReaderDone;
    /// <summary>Stopwatch ticks since the pump waits for window; 0 when it does not.</summary>
    public long StalledSince;
    public bool StalledOnConnection;
    public bool WaitingForOutput;
    /// <summary>The stream is in its connection's list of output waiters (under the connection's guard; see WakeOutputWaiters).</summary>
    public bool InOutputWaiters;

    // Flow-control accounting of the request pipe, under RequestGuard: the pipe holds the request
    // head and chunk framing besides DATA payload, so what the exchange consumed is turned into
    // window conservatively: DATA written less all bytes still unread.
    public long PipeWritten;
    public long DataWritten;
    public long PipeConsumed;
    public long Granted;

    /// <summary>
    /// Begins a stream's life (read loop): a new object, or one back from the pool whose owners
    /// are all done, made as new here. The table is its first owner.
    /// </summary>
    public void Open(int id, int sendWindow, int receiveWindow, bool remoteEnded)
    {
        if (Id != 0)
        {
            // Each place that completes the request writer marks RequestWriterDone first.
            Bridge.Reuse(RequestWriterDone);
            using (RequestGuard.Enter())
            {
                RequestChunked = false;
                ExpectedLength = -1;
                ReceivedLength = 0;
                RequestWriterDone = false;
                IsHead = false;
                IsTunnel = false;
                HeadSent = false;
                LocalEnded = false;
                Reset = false;
                Closed = false;
                RequestReaderDone = false;
                StalledSince = 0;
                StalledOnConnection = false;
                WaitingForOutput = false;
                PipeWritten = 0;
                DataWritten = 0;
                PipeConsumed = 0;
                Granted = 0;
            }
        }
        // The response side's state begins here, before the worker runs, and not at the top of
        // the pump's loop: the worker may hand over its head (Http2Stream.DirectHead.cs) before
        // a pump still finishing the last life's release reaches its next wait.
        _inBody = false;
        _directEnded = false;
        _responseSide = ResponseSide.NotStarted;
        HasRequestHead = false;
        Id = id;
        SendWindow = sendWindow;
        ReceiveWindow = receiveWindow;
        RemoteEnded = remoteEnded;
        Volatile.Write(ref _owners, 1);
    }

    /// <summary>Someone works on the stream without owning it (a reset from another thread): it stays out of the pool meanwhile.</summary>
    public void Hold() => Interlocked.Increment(ref _owners);

    /// <summary>An owner is done; the last one gives the stream back to its connection's pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _owners) == 0)
        {
            _connection.ReturnStream(this);
        }
    }

    /// <summary>
    /// Starts the stream's exchange worker and its response pump (read loop, once the request head
    /// is in the bridge); both are the ones of the stream's last life when it had one.
    /// </summary>
    public void StartExchange(Gateway gateway, byte[] clientAddress, byte[] clientIp, string listenerName, Tls.TlsConnectionInfo? tls)
    {
        // The worker, and the response side (run in the worker's flushes until it ends or is handed to the pump).
        Interlocked.Add(ref _owners, 2);
        _responseSide = ResponseSide.InWorkerFlushes;
        if (_client is null || !ServesClient(_client, gateway, clientAddress, clientIp, listenerName, tls))
        {
            // On a loop the exchange's client is the loop's too: its deadlines are the loop's
            // timers, and every wait that completes elsewhere comes back to the loop.
            _client = new Http1ClientConnection(Bridge, clientAddress, clientIp, gateway, listenerName, listener: null) { Tls = tls, Loop = _connection.Loop };
        }
        else
        {
            _client.ReuseForHttp2Stream();
        }
        Exchange ??= Http1ProxyConnection.ForHttp2Stream(this);
        if (_connection.Loop is { } loop)
        {
            // The exchange runs on the connection's loop, with an upstream of the loop's own: it
            // starts once the read loop has handled the frames at hand (not nested in it), and
            // the exchanges of every HEADERS read in one turn start together.
            loop.Post(this);
            return;
        }
        Exchange.StartHttp2Stream(_client);
    }

    /// <summary>
    /// Whether the client object of an earlier life stands for this connection's client as well:
    /// the same connection, or another one of the loop from the same address to the same listener
    /// without TLS (the streams of a loop's pool go from one connection to the next, and a client
    /// that reconnects, or many behind one address, would otherwise cost an object and a timer per
    /// stream of every connection). Everything the exchange takes from it is then the same: the
    /// address, its hash and its trust (judged from the address on each new snapshot), the
    /// listener and its limits; what is per exchange is reset by <see cref="Http1ClientConnection.ReuseForHttp2Stream"/>.
    /// </summary>
    private bool ServesClient(Http1ClientConnection client, Gateway gateway, byte[] clientAddress, byte[] clientIp, string listenerName, Tls.TlsConnectionInfo? tls) =>
        ReferenceEquals(client.Tls, tls)
        && ReferenceEquals(client.Gateway, gateway)
        && ReferenceEquals(client.Loop, _connection.Loop)
        && client.Listener is null
        && string.Equals(client.ListenerName, listenerName, StringComparison.Ordinal)
        && client.ClientAddress.AsSpan().SequenceEqual(clientAddress)
        && client.ClientIp.AsSpan().SequenceEqual(clientIp);

    /// <summary>The exchange's start, posted by <see cref="StartExchange"/> to the connection's loop.</summary>
    void IThreadPoolWorkItem.Execute() => Exchange!.StartHttp2Stream(_client!);

    /// <summary>The worker let go of the stream (its exchange closed).</summary>
    public void OnWorkerDone() => Release();

    /// <summary>The exchange consumed request bytes: window goes back to the client, batched.</summary>
    public void OnRequestBytesConsumed(int bytes) => _connection.OnRequestBytesConsumed(this, bytes);

    /// <summary>The exchange stopped reading the request (it ended or answered early).</summary>
    public void OnRequestReaderCompleted() => _connection.OnRequestReaderCompleted(this);

    /// <summary>
    /// The exchange flushed response bytes into the bridge, or completed its output (its thread:
    /// the loop's, or off a loop the worker's, as the pump's inline wake was before): what is
    /// there goes out now, in this call. Stops when everything written went out (the next flush
    /// comes here again), when the life's response ended, or when the stream must wait for window
    /// (the rest goes to the pump's loop). True when the response side of this life ended here.
    /// </summary>
    internal bool OnResponseWritten()
    {
        if (_responseSide != ResponseSide.InWorkerFlushes)
        {
            return false;
        }
        if (_connection.Loop is { } loop && !loop.IsCurrent)
        {
            // The pipes and the connection's state are the loop's: a completion from elsewhere
            // was posted there by the pipe, and this follows it.
            loop.Post(_responseWrittenOnLoop ??= () => OnResponseWritten());
            return false;
        }
        PumpStep step;
        try
        {
            step = SendWhatIsWritten(Bridge.ResponseReader);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
        {
            _connection.ResetStream(this, Http2ErrorCode.InternalError);
            step = PumpStep.Done;
        }
        if (step == PumpStep.Read)
        {
            return false;
        }
        if (step == PumpStep.WaitForWindow)
        {
            HandToPump();
            return false;
        }
        EndResponse();
        Release();
        return true;
    }

    /// <summary>The steps over what the bridge holds now, with no wait: Read when it is all taken and the response goes on.</summary>
    private PumpStep SendWhatIsWritten(PipeReader reader)
    {
        var unread = -1L;
        while (true)
        {
            if (Reset)
            {
                return PumpStep.Done;
            }
            if (!reader.TryRead(out var result))
            {
                return PumpStep.Read;
            }
            if (result.Buffer.Length == unread && !result.IsCompleted && !result.IsCanceled)
            {
                // Nothing taken by the last step (a head not whole yet): the next write brings more.
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return PumpStep.Read;
            }
            unread = result.Buffer.Length;
            var step = Reset ? PumpStep.Done : Step(reader, result);
            if (step != PumpStep.Read)
            {
                return step;
            }
        }
    }

    /// <summary>The stream stopped for window: the pump's loop reads the rest of this life's response.</summary>
    private void HandToPump()
    {
        _responseSide = ResponseSide.InPump;
        if (_pumpStarted)
        {
            _pumpStart.Set();
            return;
        }
        _pumpStarted = true;
        _ = PumpLoopAsync();
    }

    private PumpStep Step(PipeReader reader, in ReadResult result) =>
        _directEnded ? OnBytesAfterEnd(reader, result) : _inBody ? OnBodyBytes(reader, result) : OnHeadBytes(reader, result);

    /// <summary>
    /// The response side of the lives of this stream object that waited for window, one state
    /// machine for all of them: from the stop, waits for window, reads what the exchange writes
    /// and sends it, and ends the life when END_STREAM (or a reset) went out. Each step over the
    /// bytes read is synchronous (<see cref="OnHeadBytes"/>, <see cref="OnBodyBytes"/>); only this
    /// loop awaits, so a stream allocates no state machine of its own.
    /// </summary>
    private async Task PumpLoopAsync()
    {
        while (true)
        {
            var reader = Bridge.ResponseReader;
            try
            {
                var step = PumpStep.WaitForWindow;
                while (step != PumpStep.Done)
                {
                    if (step == PumpStep.WaitForWindow)
                    {
                        await Wake.WaitAsync().ConfigureAwait(false);
                    }
                    var result = await reader.ReadAsync().ConfigureAwait(false);
                    if (_connection.Loop is { } loop && !loop.IsCurrent)
                    {
                        // The exchange writes on the loop and wakes us there; should a wake ever
                        // come from elsewhere, the connection's state is the loop's (Http2Guard).
                        await loop.SwitchTo();
                    }
                    step = Reset ? PumpStep.Done : Step(reader, result);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
            {
                if (_connection.Loop is { } loop && !loop.IsCurrent)
                {
                    await loop.SwitchTo();
                }
                _connection.ResetStream(this, Http2ErrorCode.InternalError);
            }
            finally
            {
                EndResponse();
            }
            Release();
            await _pumpStart.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The response side of this life is over (END_STREAM or a reset went out): its buffers go, the bridge's reader completes.</summary>
    private void EndResponse()
    {
        _responseSide = ResponseSide.Ended;
        ReturnHeadBuffer();
        _trailers.Release();
        Bridge.CompleteResponseReader();
        _connection.OnPumpDone(this);
    }

    /// <summary>Who reads a life's response from the bridge.</summary>
    private enum ResponseSide : byte
    {
        /// <summary>No exchange started in this life (nothing reads).</summary>
        NotStarted,
        /// <summary>The steps run in the exchange's flushes (<see cref="OnResponseWritten"/>).</summary>
        InWorkerFlushes,
        /// <summary>The pump's loop, since the stream stopped for window.</summary>
        InPump,
        /// <summary>The response side of this life ended.</summary>
        Ended,
    }

    private enum PumpStep : byte
    {
        Read,
        WaitForWindow,
        Done,
    }

    // The body being sent (pump only).
    private bool _inBody;
    private bool _bodyChunked;
    private long _bodyRemaining;

    private void ReturnHeadBuffer()
    {
        var buffer = _head.Buffer;
        _head.Buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Bytes of the response head: HEADERS once it is whole (1xx first, as HEADERS of their own).</summary>
    private PumpStep OnHeadBytes(PipeReader reader, in ReadResult result)
    {
        var buffer = result.Buffer;
        if (Http1Parser.TryFindHeadEnd(buffer, MaxResponseHeadBytes, 8 * 1024, out var headLength, out var error))
        {
            // The head is parsed in a pooled copy (ranges point into it), given back when the pump ends.
            ReturnHeadBuffer();
            var bytes = ArrayPool<byte>.Shared.Rent(headLength);
            buffer.Slice(0, headLength).CopyTo(bytes);
            reader.AdvanceTo(buffer.GetPosition(headLength));
            _head.Reset();
            _head.Buffer = bytes;
            _head.Length = headLength;
            if (Http1Parser.ParseResponse(_head, 1000) != Http1Error.None)
            {
                _connection.ResetStream(this, Http2ErrorCode.InternalError);
                return PumpStep.Done;
            }
            if (IsTunnel && IsTunnelAnswer())
            {
                // The tunnel's bytes are a body that ends with the front's output.
                return OpenTunnel() ? StartBody(chunked: false, length: -1) : PumpStep.Done;
            }
            if (_head.StatusCode < 200)
            {
                // 100 Continue (and other interim answers) go to the client as a HEADERS of their own.
                _connection.SendResponseHead(this, _head, endStream: false, informational: true);
                return PumpStep.Read;
            }
            var noBody = IsHead || _head.StatusCode is 204 or 304 || (!_head.IsChunked && _head.ContentLength == 0);
            _connection.SendResponseHead(this, _head, endStream: noBody, informational: false);
            if (noBody)
            {
                return PumpStep.Done;
            }
            return StartBody(_head.IsChunked, _head.IsChunked ? -1 : _head.ContentLength);
        }
        if (error != Http1Error.None || result.IsCompleted)
        {
            reader.AdvanceTo(buffer.End);
            _connection.ResetStream(this, Http2ErrorCode.InternalError);
            return PumpStep.Done;
        }
        reader.AdvanceTo(buffer.Start, buffer.End);
        return PumpStep.Read;
    }

    private PumpStep StartBody(bool chunked, long length)
    {
        _inBody = true;
        _bodyChunked = chunked;
        _bodyRemaining = length;
        _chunks.Reset();
        _trailers.Clear();
        return PumpStep.Read;
    }

    /// <summary>Bytes of the response body: DATA within the windows, then END_STREAM (or trailers).</summary>
    private PumpStep OnBodyBytes(PipeReader reader, in ReadResult result)
    {
        var chunked = _bodyChunked;
        var buffer = result.Buffer;
        if (buffer.IsEmpty)
        {
            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                if (_bodyRemaining < 0 && !chunked)
                {
                    // A close-delimited body ends with the exchange.
                    _connection.SendEnd(this, default);
                    return PumpStep.Done;
                }
                _connection.ResetStream(this, Http2ErrorCode.InternalError);
                return PumpStep.Done;
            }
            return PumpStep.Read;
        }
        var span = buffer.First.Span;
        var consumed = 0;
        var blocked = false;
        var finished = false;
        while (consumed < span.Length)
        {
            ReadOnlySpan<byte> data;
            if (chunked)
            {
                var status = _chunks.Read(span[consumed..], _trailers, out var framing);
                consumed += framing;
                if (status == Http1ChunkStatus.Complete)
                {
                    finished = true;
                    break;
                }
                if (status == Http1ChunkStatus.Error)
                {
                    reader.AdvanceTo(buffer.End);
                    _connection.ResetStream(this, Http2ErrorCode.InternalError);
                    return PumpStep.Done;
                }
                if (status == Http1ChunkStatus.NeedMoreData)
                {
                    break;
                }
                data = span.Slice(consumed, (int)Math.Min(_chunks.Remaining, span.Length - consumed));
            }
            else
            {
                data = _bodyRemaining < 0 ? span[consumed..] : span.Slice(consumed, (int)Math.Min(_bodyRemaining, span.Length - consumed));
            }
            var last = !chunked && _bodyRemaining >= 0 && data.Length == _bodyRemaining;
            var sent = _connection.SendData(this, data, last);
            if (sent < 0)
            {
                reader.AdvanceTo(buffer.End);
                return PumpStep.Done;
            }
            consumed += sent;
            if (chunked)
            {
                _chunks.Took(sent);
            }
            else if (_bodyRemaining >= 0)
            {
                _bodyRemaining -= sent;
                if (_bodyRemaining == 0)
                {
                    finished = true;
                    break;
                }
            }
            if (sent < data.Length)
            {
                blocked = true;
                break;
            }
        }
        if (finished)
        {
            reader.AdvanceTo(buffer.GetPosition(consumed));
            if (chunked)
            {
                _connection.SendEnd(this, _trailers.Length > 0 ? _trailers.WrittenSpan : default);
            }
            return PumpStep.Done;
        }
        if (blocked)
        {
            // Examined only what was sent: the rest is seen again at once after the wake.
            reader.AdvanceTo(buffer.GetPosition(consumed));
            return PumpStep.WaitForWindow;
        }
        reader.AdvanceTo(buffer.GetPosition(consumed));
        if (result.IsCompleted && buffer.Length == consumed)
        {
            if (_bodyRemaining < 0 && !chunked)
            {
                _connection.SendEnd(this, default);
                return PumpStep.Done;
            }
            _connection.ResetStream(this, Http2ErrorCode.InternalError);
            return PumpStep.Done;
        }
        return PumpStep.Read;
    }
}
