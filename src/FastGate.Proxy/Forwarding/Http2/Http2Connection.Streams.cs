using System.Buffers;
using System.Diagnostics;
using FastGate.Core.Buffers;
using FastGate.Core.Http1;
using FastGate.Core.HPack;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Forwarding.Http2;

// Streams: HEADERS and CONTINUATION into requests, DATA into their bridges, the request's window.
public sealed partial class Http2Connection
{
    // Streams whose owners are all done, reused by the read loop (Http2Stream explains the lifetime).
    // The bound is the concurrency a pool serves without allocating; an idle connection drops them.
    private const int MaxPooledStreams = 64;
    private const int PooledStreamsIdleSeconds = 5;
    private readonly Stack<Http2Stream> _freeStreams = new();
    // The client's address as 4 or 16 bytes, for every stream's exchange; parsed once.
    private byte[]? _clientIp;

    private Http2ErrorCode _headerRejectCode;
    // The last streams opened (read loop): HEADERS again on one of them is STREAM_CLOSED, on an id never used PROTOCOL_ERROR.
    private readonly int[] _recentlyOpened = new int[64];
    private int _recentlyOpenedNext;

    private Http2ErrorCode OnHeaders(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseHeaders(header, payload, out var fragment, out var streamError);
        if (error != Http2ErrorCode.NoError && !streamError)
        {
            return error;
        }
        var id = header.StreamId;
        if ((id & 1) == 0)
        {
            // §5.1.1: client streams are odd.
            return Http2ErrorCode.ProtocolError;
        }
        _headerRejectCode = streamError ? error : Http2ErrorCode.NoError;
        _headerTrailers = false;
        Http2Stream? stream;
        using (_guard.Enter())
        {
            _streams.TryGetValue(id, out stream);
        }
        if (stream is not null)
        {
            if (stream.RemoteEnded)
            {
                // §5.1: half-closed (remote) takes no more HEADERS.
                _headerRejectCode = Http2ErrorCode.StreamClosed;
            }
            else
            {
                _headerTrailers = true;
                if (!header.Has(Http2Flags.EndStream))
                {
                    // §8.1: trailers end the stream.
                    _headerRejectCode = Http2ErrorCode.ProtocolError;
                }
            }
        }
        else if (id <= _highestStreamId)
        {
            if (!ResetByUs(id))
            {
                // §5.1: HEADERS on a stream that was open and closed; §5.1.1: an id below one already
                // used that never opened a stream is a PROTOCOL_ERROR.
                return Array.IndexOf(_recentlyOpened, id) >= 0 ? Http2ErrorCode.StreamClosed : Http2ErrorCode.ProtocolError;
            }
            // §5.1: trailers the client had in flight for a stream we reset are ignored, once
            // decoded so the HPACK table stays in step: as trailers they find no stream.
            _headerTrailers = true;
        }
        _headerStreamId = id;
        _headerEndStream = header.Has(Http2Flags.EndStream);
        _continuations = 0;
        _headerBlock.Clear();
        if (fragment.Length > _settings.MaxHeaderListSize)
        {
            return Calm(Http2DefenseKind.Continuation);
        }
        if (header.Has(Http2Flags.EndHeaders))
        {
            // The usual request: its whole block in this frame, decoded where it lies.
            return OnHeaderBlock(fragment);
        }
        _headerBlock.Write(fragment);
        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnContinuation(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (_headerStreamId == 0 || header.StreamId != _headerStreamId)
        {
            return Http2ErrorCode.ProtocolError;
        }
        var error = Http2FrameReader.ParseContinuation(header, payload);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }
        // CONTINUATION flood: a block that never ends, or ends only after holding a lot of memory.
        if (++_continuations > MaxContinuations || _headerBlock.Length + payload.Length > _settings.MaxHeaderListSize)
        {
            return Calm(Http2DefenseKind.Continuation);
        }
        _headerBlock.Write(payload);
        return header.Has(Http2Flags.EndHeaders) ? OnHeaderBlock(_headerBlock.WrittenSpan) : Http2ErrorCode.NoError;
    }

    /// <summary>
    /// A whole header block (the HEADERS frame's fragment, or the fragments gathered in
    /// _headerBlock): decoded (always, so the HPACK table stays in step), then a new request or its trailers.
    /// </summary>
    private Http2ErrorCode OnHeaderBlock(ReadOnlySpan<byte> block)
    {
        var id = _headerStreamId;
        _headerStreamId = 0;
        var trailers = _headerTrailers;
        var endStream = _headerEndStream;
        _request.Begin(trailers);
        var decoded = _decoder.Decode(block, _request);
        _headerBlock.Clear();
        if (decoded != HPackError.None && decoded != HPackError.HeaderListTooLarge)
        {
            return Http2ErrorCode.CompressionError;
        }
        if (trailers)
        {
            return OnTrailers(id, decoded);
        }
        var isNew = id > _highestStreamId;
        if (isNew)
        {
            _highestStreamId = id;
            _resetByUs.Open(id);
            _recentlyOpened[_recentlyOpenedNext] = id;
            _recentlyOpenedNext = (_recentlyOpenedNext + 1) % _recentlyOpened.Length;
        }
        if (_headerRejectCode != Http2ErrorCode.NoError)
        {
            ResetUnopened(id, _headerRejectCode);
            return Http2ErrorCode.NoError;
        }
        if (!isNew)
        {
            return Http2ErrorCode.NoError;
        }
        bool refuse;
        using (_guard.Enter())
        {
            refuse = _goAwaySent || _streams.Count >= _settings.MaxConcurrentStreams;
        }
        if (refuse)
        {
            _metrics.Defense(Http2DefenseKind.Refused);
            ResetUnopened(id, Http2ErrorCode.RefusedStream);
            return ++_refusals > MaxRefusals ? Calm(Http2DefenseKind.Refused) : Http2ErrorCode.NoError;
        }
        var stream = OpenStream(id, endStream);
        if (decoded == HPackError.HeaderListTooLarge)
        {
            // HPACK bomb: the block decoded past the limit; only this stream is refused.
            _metrics.Defense(Http2DefenseKind.HeaderList);
            SendLocalResponse(stream, 431, default);
            return OnHeaderListRefused();
        }
        if (_request.CheckRequest() is not null)
        {
            ResetStream(stream, Http2ErrorCode.ProtocolError);
            return Http2ErrorCode.NoError;
        }
        if (_request.IsExtendedConnect)
        {
            OpenTunnel(stream, endStream);
            return Http2ErrorCode.NoError;
        }
        if (_request.IsConnect)
        {
            // Plain CONNECT (a TCP tunnel over a stream) is not offered; extended CONNECT is above.
            SendLocalResponse(stream, 501, "CONNECT is not supported over HTTP/2\n"u8);
            return Http2ErrorCode.NoError;
        }
        if (endStream && _request.ContentLength > 0)
        {
            // §8.1.1: a content-length the DATA (none here) does not match.
            ResetStream(stream, Http2ErrorCode.ProtocolError);
            return Http2ErrorCode.NoError;
        }
        stream.ExpectedLength = _request.ContentLength;
        stream.RequestChunked = _request.ContentLength < 0 && !endStream;
        stream.IsHead = _request.IsHead;
        StartExchange(stream, endStream);
        return Http2ErrorCode.NoError;
    }

    private Http2Stream OpenStream(int id, bool endStream)
    {
        Http2Stream? stream;
        using (_guard.Enter())
        {
            _freeStreams.TryPop(out stream);
        }
        if (stream is null && _loop is not null && Http2StreamPool.TryRent(_loop) is { } pooled)
        {
            pooled.MoveTo(this);
            stream = pooled;
        }
        stream ??= new Http2Stream(this);
        stream.Open(id, _peer.InitialWindowSize, _settings.InitialStreamWindow, endStream);
        using (_guard.Enter())
        {
            _streams.Add(stream);
        }
        _streamsOpened++;
        _metrics.StreamOpened();
        return stream;
    }

    /// <summary>
    /// Hands the request head to the stream (parsed; as text in the bridge for an extended
    /// CONNECT) and starts the stream's exchange and response pump.
    /// </summary>
    private void StartExchange(Http2Stream stream, bool endStream)
    {
        var writer = stream.Bridge.RequestWriter;
        if (!stream.IsTunnel)
        {
            stream.TakeRequestHead(_request, bodyFollows: !endStream);
        }
        using (stream.RequestGuard.Enter())
        {
            if (stream.IsTunnel)
            {
                var counting = _counting.Over(writer);
                _request.WriteRequest(counting, !endStream, stream.RequestChunked);
                stream.PipeWritten += counting.Written;
                _ = writer.FlushAsync();
            }
            else if (endStream)
            {
                // No body: the bridge's request side ends before the exchange starts.
                stream.RequestWriterDone = true;
                writer.Complete();
            }
        }
        _clientIp ??= System.Net.IPAddress.TryParse(_clientAddress, out var address) ? address.GetAddressBytes() : [];
        stream.StartExchange(_gateway, _clientAddress, _clientIp, _listenerName, _tls);
    }

    /// <summary>
    /// A stream whose owners are all done (any thread); kept for the read loop to reuse, up to
    /// <see cref="MaxPooledStreams"/>, or for the loop's next connections once this one closes.
    /// </summary>
    internal void ReturnStream(Http2Stream stream)
    {
        using (_guard.Enter())
        {
            if (!_closing && _freeStreams.Count < MaxPooledStreams)
            {
                _freeStreams.Push(stream);
                return;
            }
        }
        // The connection is closing (or keeps enough): the loop's pool takes it for another connection.
        Http2StreamPool.Return(stream, _loop);
    }

    /// <summary>The connection ended (Finish): its free streams go to the loop's pool.</summary>
    private void ReturnFreeStreamsToLoop()
    {
        while (true)
        {
            Http2Stream? stream;
            using (_guard.Enter())
            {
                if (!_freeStreams.TryPop(out stream))
                {
                    return;
                }
            }
            Http2StreamPool.Return(stream, _loop);
        }
    }

    /// <summary>Heartbeat: a connection idle for a while lets its pooled streams go, so idle connections hold no stream memory.</summary>
    private void TrimStreamPoolLocked(long now)
    {
        if (_streams.Count == 0 && _freeStreams.Count > 0 && now - _idleSince > Stopwatch.Frequency * PooledStreamsIdleSeconds)
        {
            _freeStreams.Clear();
        }
    }

    private Http2ErrorCode OnTrailers(int id, HPackError decoded)
    {
        Http2Stream? stream;
        using (_guard.Enter())
        {
            _streams.TryGetValue(id, out stream);
        }
        if (stream is null)
        {
            return Http2ErrorCode.NoError;
        }
        if (_headerRejectCode != Http2ErrorCode.NoError || decoded != HPackError.None || _request.Malformed is not null
            || (stream.ExpectedLength >= 0 && stream.ReceivedLength != stream.ExpectedLength))
        {
            ResetStream(stream, _headerRejectCode == Http2ErrorCode.NoError ? Http2ErrorCode.ProtocolError : _headerRejectCode);
            return Http2ErrorCode.NoError;
        }
        using (stream.RequestGuard.Enter())
        {
            if (!stream.RequestWriterDone)
            {
                var writer = stream.Bridge.RequestWriter;
                if (stream.RequestChunked && !stream.RequestReaderDone)
                {
                    // Request trailers travel as the chunked body's trailer section.
                    var counting = _counting.Over(writer);
                    _request.WriteTrailers(counting);
                    stream.PipeWritten += counting.Written;
                }
                EndRequestWriter(stream, writer);
            }
        }
        MarkRemoteEnded(stream);
        return Http2ErrorCode.NoError;
    }

    /// <summary>A stream refused or malformed before it had an exchange: RST_STREAM, and later frames for it are ignored.</summary>
    private void ResetUnopened(int id, Http2ErrorCode code)
    {
        WriteControl(id, code);
        RememberReset(id);
    }

    private Http2ErrorCode OnData(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseData(header, payload, out var data);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }
        var length = header.Length;
        // §6.9.1: the whole payload, padding included, counts against both windows.
        if (length > _connectionReceiveWindow)
        {
            return Http2ErrorCode.FlowControlError;
        }
        // Atomic: exchanges give window back (GrantConnection) from their own threads meanwhile,
        // and a grant lost to a plain read-modify-write would shrink our view of the window for
        // good, until a client that keeps to its window is cut off with FLOW_CONTROL_ERROR.
        Interlocked.Add(ref _connectionReceiveWindow, -length);
        var id = header.StreamId;
        var endStream = header.Has(Http2Flags.EndStream);
        if (data.Length == 0 && !endStream && !TakeControlToken())
        {
            return Calm(Http2DefenseKind.EmptyData);
        }
        Http2Stream? stream;
        using (_guard.Enter())
        {
            _streams.TryGetValue(id, out stream);
        }
        if (stream is null)
        {
            if (id > _highestStreamId)
            {
                // §5.1: DATA on an idle stream.
                return Http2ErrorCode.ProtocolError;
            }
            GrantConnection(length);
            // §5.1: frames the client had in flight for a stream we reset are ignored; DATA on a
            // stream that closed otherwise (END_STREAM both ways, or its own RST_STREAM) is a
            // connection error STREAM_CLOSED.
            return ResetByUs(id) ? Http2ErrorCode.NoError : Http2ErrorCode.StreamClosed;
        }
        if (stream.RemoteEnded)
        {
            GrantConnection(length);
            ResetStream(stream, Http2ErrorCode.StreamClosed);
            return Http2ErrorCode.NoError;
        }
        if (length > stream.ReceiveWindow)
        {
            GrantConnection(length);
            ResetStream(stream, Http2ErrorCode.FlowControlError);
            return Http2ErrorCode.NoError;
        }
        // Atomic for the same reason: the exchange's thread grants (OnRequestBytesConsumed) meanwhile.
        Interlocked.Add(ref stream.ReceiveWindow, -length);
        stream.ReceivedLength += data.Length;
        if (stream.ExpectedLength >= 0 && (stream.ReceivedLength > stream.ExpectedLength || (endStream && stream.ReceivedLength != stream.ExpectedLength)))
        {
            // §8.1.1: content-length must match the DATA.
            GrantConnection(length);
            ResetStream(stream, Http2ErrorCode.ProtocolError);
            return Http2ErrorCode.NoError;
        }
        var discarded = length - data.Length;
        using (stream.RequestGuard.Enter())
        {
            if (stream.RequestWriterDone || stream.RequestReaderDone)
            {
                discarded = length;
            }
            else
            {
                var writer = stream.Bridge.RequestWriter;
                var body = new Http1BodyWriter<System.IO.Pipelines.PipeWriter>(writer, stream.RequestChunked);
                body.Data(data);
                if (endStream)
                {
                    body.End();
                }
                stream.PipeWritten += body.Commit();
                stream.DataWritten += data.Length;
                if (endStream)
                {
                    EndRequestWriter(stream, writer);
                }
                else
                {
                    _ = writer.FlushAsync();
                }
            }
        }
        if (discarded > 0)
        {
            // Padding, or data nobody will read: its window comes back at once.
            GrantConnection(discarded);
        }
        if (endStream)
        {
            MarkRemoteEnded(stream);
        }
        return Http2ErrorCode.NoError;
    }

    /// <summary>
    /// The client's END_STREAM ends the request in the bridge (under the stream's RequestGuard). The
    /// stream is half-closed (remote) before the exchange can see that end: an exchange on another
    /// thread (TLS, the portable transport) may answer and end the response before the read loop
    /// gets to <see cref="MarkRemoteEnded"/>, and a stream still open then looked like one whose
    /// client was still sending, and was reset (RST_STREAM NO_ERROR) after a complete exchange.
    /// </summary>
    private static void EndRequestWriter(Http2Stream stream, System.IO.Pipelines.PipeWriter writer)
    {
        Volatile.Write(ref stream.RemoteEnded, true);
        stream.RequestWriterDone = true;
        writer.Complete();
    }

    private void MarkRemoteEnded(Http2Stream stream)
    {
        using (_guard.Enter())
        {
            stream.RemoteEnded = true;
            if (stream.LocalEnded)
            {
                CloseLocked(stream);
            }
        }
    }

    /// <summary>
    /// The exchange consumed request bytes (its thread): the window it frees goes back to the
    /// client once it is worth a frame, as a stream and a connection WINDOW_UPDATE.
    /// </summary>
    internal void OnRequestBytesConsumed(Http2Stream stream, int bytes)
    {
        int grant;
        using (stream.RequestGuard.Enter())
        {
            stream.PipeConsumed += bytes;
            var unread = stream.PipeWritten - stream.PipeConsumed;
            var credit = Math.Max(0, stream.DataWritten - unread) - stream.Granted;
            var threshold = Math.Max(1024, _settings.InitialStreamWindow / 8);
            if (credit < threshold && unread > 0)
            {
                return;
            }
            grant = (int)credit;
            stream.Granted += credit;
        }
        if (grant <= 0)
        {
            return;
        }
        var remoteEnded = Volatile.Read(ref stream.RemoteEnded);
        Interlocked.Add(ref stream.ReceiveWindow, remoteEnded ? 0 : grant);
        using (_guard.Enter())
        {
            if (!remoteEnded && !stream.Closed)
            {
                Http2FrameWriter.WriteWindowUpdate(_pending, stream.Id, grant);
            }
        }
        SignalWriter();
        GrantConnection(grant);
    }

    /// <summary>The exchange stopped reading its request: what it left unread goes back to the connection window.</summary>
    internal void OnRequestReaderCompleted(Http2Stream stream)
    {
        long unreadData;
        using (stream.RequestGuard.Enter())
        {
            stream.RequestReaderDone = true;
            unreadData = stream.DataWritten - stream.Granted;
            stream.Granted = stream.DataWritten;
        }
        if (unreadData > 0)
        {
            GrantConnection((int)unreadData);
        }
    }

    /// <summary>Gives <paramref name="bytes"/> of the connection's receive window back, batched.</summary>
    private void GrantConnection(int bytes)
    {
        var pending = Interlocked.Add(ref _connectionConsumedPending, bytes);
        if (pending < Math.Max(16 * 1024, _settings.ConnectionWindow / 8))
        {
            return;
        }
        pending = Interlocked.Exchange(ref _connectionConsumedPending, 0);
        if (pending <= 0)
        {
            return;
        }
        Interlocked.Add(ref _connectionReceiveWindow, pending);
        using (_guard.Enter())
        {
            if (!_closing)
            {
                Http2FrameWriter.WriteWindowUpdate(_pending, 0, pending);
            }
        }
        SignalWriter();
    }

    /// <summary>Cancels the request side of a stream: the exchange sees its client gone.</summary>
    private static void AbortRequest(Http2Stream stream)
    {
        using (stream.RequestGuard.Enter())
        {
            if (stream.RequestWriterDone)
            {
                return;
            }
            stream.RequestWriterDone = true;
            stream.Bridge.RequestWriter.Complete(new IOException("the HTTP/2 stream was reset"));
        }
    }

    /// <summary>The pump sent its last frame (or gave up): a draining connection whose last stream this was may end.</summary>
    internal void OnPumpDone(Http2Stream stream)
    {
        bool closeNow;
        using (_guard.Enter())
        {
            if (!stream.Closed && (stream.Reset || _closing))
            {
                CloseLocked(stream);
            }
            closeNow = (_goAwaySent || _clientGoAway) && _streams.Count == 0;
        }
        if (closeNow)
        {
            WakeReader();
        }
    }

    /// <summary>
    /// Wakes the read loop to look at the connection's state. On a loop it is posted, not run: a
    /// cancelled read resumes the read loop inline, and the callers (a pump, the heartbeat's
    /// check, an exchange closing) are in the middle of their own work on the same thread.
    /// </summary>
    private void WakeReader()
    {
        if (_loop is not null)
        {
            _loop.Post(_wakeReaderOnLoop ??= CancelRead);
            return;
        }
        CancelRead();
    }

    private Action? _wakeReaderOnLoop;

    private void CancelRead()
    {
        try
        {
            _input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over the bridge's writer that counts what went through, for the window accounting.</summary>
    /// <remarks>One per connection, used by the read loop only.</remarks>
    private sealed class CountingBufferWriter : IBufferWriter<byte>
    {
        private IBufferWriter<byte> _inner = null!;

        public long Written { get; private set; }

        public CountingBufferWriter Over(IBufferWriter<byte> inner)
        {
            _inner = inner;
            Written = 0;
            return this;
        }

        public void Advance(int count)
        {
            Written += count;
            _inner.Advance(count);
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);
    }

    private readonly CountingBufferWriter _counting = new();
}
