using System.Buffers;
using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http1;
using FastGate.Core.Http2;
using FastGate.Core.Transport;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// One HTTP/2 stream seen by its exchange as an HTTP/1.1 connection: the upstream leg writes its
/// HTTP/1.1 request into <see cref="Output"/> and the stream sends it as HEADERS and DATA
/// (Request.cs); the server's HEADERS, DATA and trailers come back as an HTTP/1.1 response on
/// <see cref="Input"/>: the status line and fields, then the body with the server's
/// content-length, or chunked with the trailers as its trailer section. Disposing it ends the
/// stream (RST_STREAM CANCEL if either side was unfinished) and frees its place in the session;
/// it is never pooled as a keep-alive connection.
/// <para>
/// The response side is written by the session's reader loop only; the request side runs on the
/// exchange's thread (inline in its flushes).
/// </para>
/// </summary>
internal sealed partial class Http2UpstreamStream : ITransport
{
    private static readonly PipeOptions RequestPipe = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 256 * 1024,
        resumeWriterThreshold: 128 * 1024,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

    // Never pauses: what the server may send is bounded by the stream's receive window, given
    // back only as the exchange consumes (OnResponseConsumed), so the reader loop never waits on
    // one stream's client.
    private static readonly PipeOptions ResponsePipe = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0,
        resumeWriterThreshold: 0,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

    /// <summary>The session the stream is on; another one after a resend (Resend.cs).</summary>
    private Http2UpstreamSession _session;
    private readonly Pipe _request = new(RequestPipe);
    private readonly Pipe _response = new(ResponsePipe);
    private readonly Http2ResponseReader _input;
    private readonly object _flowLock = new();
    private TaskCompletionSource? _windowWait;
    private int _disposed;
    // The response writer's last word was said (EndResponse on the reader loop, or CompleteResponse
    // from anywhere); the reader loop writes only while it is 0, under _flowLock.
    private int _responseDone;

    // The response as the reader loop translates it.
    private bool _chunked;
    private bool _bodyless;
    private volatile bool _responseEnded;
    private int _receiveWindow = Http2UpstreamSession.StreamWindow;
    private long _buffered;
    private int _uncredited;

    /// <summary>The stream's window for sending request DATA; changed under the session's lock.</summary>
    internal Http2FlowWindow SendWindow;

    public Http2UpstreamStream(Http2UpstreamSession session)
    {
        _session = session;
        _input = new Http2ResponseReader(_response.Reader, this);
        _ = PumpRequestAsync();
    }

    /// <summary>0 until the HEADERS went out.</summary>
    public int Id { get; private set; }

    /// <summary>The final response head came (later header blocks are trailers).</summary>
    public bool HeadSeen { get; private set; }

    /// <summary>The exchange let the stream go (set under the session's lock).</summary>
    internal bool Released { get; set; }

    /// <summary>The server reset the stream, or it was refused by GOAWAY: nothing more goes out on it.</summary>
    internal bool RemoteReset { get; private set; }

    public PipeReader Input => _input;

    public PipeWriter Output => _request.Writer;

    internal void Assign(int id, int initialWindow)
    {
        Id = id;
        SendWindow = new Http2FlowWindow(initialWindow);
    }

    internal void MarkRemoteReset()
    {
        RemoteReset = true;
        WindowChanged();
    }

    /// <summary>Under the session's lock: the task a sender waits on until the windows may have grown.</summary>
    internal Task WaitForWindow() =>
        (_windowWait ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    internal void WindowChanged() => Interlocked.Exchange(ref _windowWait, null)?.TrySetResult();

    /// <summary>A response header block (reader loop): the head, an interim head (dropped), or the trailers.</summary>
    internal Http2StreamError OnHeaderBlock(Http2ResponseHeadSink sink, bool endStream)
    {
        if (sink.Problem is not null)
        {
            return Http2StreamError.Protocol;
        }
        var writer = _response.Writer;
        if (!HeadSeen)
        {
            if (sink.Status == 0)
            {
                return Http2StreamError.Protocol;
            }
            if (sink.Status < 200)
            {
                // 1xx: the exchange already answered 100 Continue itself; 101 is not HTTP/2's (§8.6).
                return endStream || sink.Status == 101 ? Http2StreamError.Protocol : Http2StreamError.None;
            }
            HeadSeen = true;
            lock (_flowLock)
            {
                if (_responseDone != 0)
                {
                    // Failed meanwhile from the request side (CompleteResponse): what the server had
                    // in flight for the stream is dropped until its exchange lets it go.
                    return Http2StreamError.None;
                }
                var status = sink.Status;
                var w = new BufferWriter<PipeWriter>(writer);
                Http1StatusResponses.WriteStatusLine(ref w, status);
                w.Write(sink.Lines.WrittenSpan);
                _bodyless = _requestIsHead || status is 204 or 304;
                if (!_bodyless && sink.ContentLength < 0)
                {
                    if (endStream)
                    {
                        w.Write("content-length: 0\r\n"u8);
                    }
                    else
                    {
                        // The length is unknown: the body is chunked, which also carries trailers.
                        w.Write("transfer-encoding: chunked\r\n"u8);
                        _chunked = true;
                    }
                }
                w.Write("\r\n"u8);
                var written = w.Buffered;
                w.Commit();
                _buffered += written;
            }
            if (endStream)
            {
                EndResponse(trailers: default);
            }
            Flush();
            return Http2StreamError.None;
        }
        if (!endStream)
        {
            // Trailers must end the stream (RFC 9113 §8.1).
            return Http2StreamError.Protocol;
        }
        EndResponse(sink.Lines.WrittenSpan);
        return Http2StreamError.None;
    }

    /// <summary>A DATA frame's data (reader loop); <paramref name="length"/> is the whole payload, for flow control.</summary>
    internal Http2StreamError OnData(ReadOnlySpan<byte> data, int length, bool endStream)
    {
        if (!HeadSeen || _responseEnded)
        {
            return Http2StreamError.Protocol;
        }
        lock (_flowLock)
        {
            _receiveWindow -= length;
            if (_receiveWindow < 0)
            {
                return Http2StreamError.FlowControl;
            }
            _uncredited += length;
            if (_responseDone != 0)
            {
                // Failed meanwhile from the request side (CompleteResponse): dropped, as above.
                return Http2StreamError.None;
            }
            if (!data.IsEmpty && !_bodyless)
            {
                var body = new Http1BodyWriter<PipeWriter>(_response.Writer, _chunked);
                body.Data(data);
                _buffered += body.Commit();
            }
        }
        if (endStream)
        {
            EndResponse(trailers: default);
        }
        Flush();
        MaybeCredit();
        return Http2StreamError.None;
    }

    /// <summary>The exchange consumed <paramref name="bytes"/> of the response: the server may send more.</summary>
    internal void OnResponseConsumed(long bytes)
    {
        lock (_flowLock)
        {
            _buffered -= bytes;
        }
        MaybeCredit();
    }

    /// <summary>
    /// Gives the server back the window of what it sent once a good share of it came and the
    /// exchange holds less than half a window unread: batched updates, bounded memory.
    /// </summary>
    private void MaybeCredit()
    {
        int credit;
        lock (_flowLock)
        {
            if (_responseEnded || _uncredited < Http2UpstreamSession.StreamWindow / 8 || _buffered > Http2UpstreamSession.StreamWindow / 2)
            {
                return;
            }
            credit = _uncredited;
            _uncredited = 0;
            _receiveWindow += credit;
        }
        if (Id != 0 && !RemoteReset && Volatile.Read(ref _disposed) == 0)
        {
            _session.SendWindowUpdate(Id, credit);
        }
    }

    /// <summary>The response ended (END_STREAM): the last chunk and trailers when chunked, then the pipe completes.</summary>
    private void EndResponse(ReadOnlySpan<byte> trailers)
    {
        _responseEnded = true;
        if (Interlocked.Exchange(ref _responseDone, 1) != 0)
        {
            return;
        }
        var writer = _response.Writer;
        if (_chunked)
        {
            var w = new BufferWriter<PipeWriter>(writer);
            w.Write("0\r\n"u8);
            w.Write(trailers);
            w.Write("\r\n"u8);
            w.Commit();
        }
        Flush();
        writer.Complete();
    }

    private void Flush()
    {
        try
        {
            // Never waits (the pipe does not pause); a result says only whether the exchange left.
            _ = _response.Writer.FlushAsync();
        }
        catch (InvalidOperationException)
        {
            // Completed meanwhile by a failure.
        }
    }

    /// <summary>
    /// The response cannot come (reset, GOAWAY, connection lost): the exchange's read fails with
    /// <paramref name="reason"/>, which it treats as a reset: tried again when the request may be.
    /// </summary>
    internal void FailResponse(Exception reason, bool refused)
    {
        if (refused)
        {
            // RFC 9113 §8.7: the server did not act on it; said so for the log line.
            reason = new IOException(reason.Message + " (not processed by the server)", reason);
            if (TryResend(reason))
            {
                // Sent again on another session: the exchange keeps waiting for the response.
                return;
            }
        }
        CompleteResponse(reason);
    }

    /// <summary>The exchange's read of the response fails with <paramref name="reason"/> (once; later calls do nothing).</summary>
    private void CompleteResponse(Exception reason)
    {
        WindowChanged();
        // Under the lock the reader loop writes the response under: called from the request side
        // (its pump, a resend, the session's writer closing it), this must neither complete the
        // writer in the middle of the reader's write, which could leave that write in a block the
        // pipe already gave back, nor leave the reader to write into it afterwards, which throws
        // there and ends the whole session with every other stream on it.
        lock (_flowLock)
        {
            if (Interlocked.Exchange(ref _responseDone, 1) != 0)
            {
                return;
            }
        }
        try
        {
            _response.Writer.Complete(reason);
        }
        catch (InvalidOperationException)
        {
            // Completed meanwhile.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        var reset = !(_requestEnded && _responseEnded) && !RemoteReset;
        if (Detach() is { } session)
        {
            session.Release(this, reset);
        }
        WindowChanged();
        try
        {
            _request.Writer.Complete();
            _input.Complete();
        }
        catch (InvalidOperationException)
        {
            // A read or flush still pending; the pump ends on its own.
        }
    }
}
