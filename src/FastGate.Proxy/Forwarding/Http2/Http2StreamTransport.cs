using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastGate.Core.Buffers;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// The HTTP/1.1 side of one HTTP/2 stream: what the per-stream <see cref="Http1ProxyConnection"/>
/// reads (the request body, framed as HTTP/1.1, after the head the stream hands over parsed; an
/// extended CONNECT's whole upgrade request as text) and writes (the HTTP/1.1 response the
/// stream translates to HEADERS and DATA). Its reader counts the bytes the exchange consumed, so
/// the stream gives flow-control window back only for what really left the buffer.
/// <para>
/// On an event loop, where the connection, the pump and the exchange all run on the loop thread,
/// both pipes are <see cref="LoopPipe"/>s: no lock per read, advance and flush, blocks from the
/// loop's pool that go back once consumed (a stream between two lives holds none). The exchange's
/// wakes (a read woken by the read loop's DATA, a flush resumed by the pump) are posted to the
/// loop, so the exchange runs after the events at hand and never nested inside the read loop or
/// the pump; the pump's read wakes inline in the exchange's flush, as it does off the loop.
/// Without a loop they are <see cref="Pipe"/>s, usable from any thread.
/// </para>
/// </summary>
internal sealed class Http2StreamTransport : ITransport
{
    // The request side never pauses the HTTP/2 reader: the stream's receive window bounds it.
    private static readonly PipeOptions RequestOptions = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0,
        minimumSegmentSize: 4096,
        useSynchronizationContext: false);

    // The response side pauses the exchange when the stream cannot send (its window is 0), so a
    // slow HTTP/2 client slows the upstream read as an HTTP/1.1 one would.
    private const long ResponsePauseThreshold = 64 * 1024;
    private const long ResponseResumeThreshold = 32 * 1024;

    private static readonly PipeOptions ResponseOptions = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: ResponsePauseThreshold,
        resumeWriterThreshold: ResponseResumeThreshold,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

    // Off a loop: the two pipes. On a loop: the loop's pipes instead (see the class remarks).
    private readonly Pipe? _request;
    private readonly Pipe? _response;
    private readonly LoopPipe? _loopRequest;
    private readonly LoopPipe? _loopResponse;
    // The ends, whichever pipes they belong to.
    private readonly PipeWriter _requestWriter;
    private readonly PipeReader _responseReader;
    private readonly PipeWriter _responseWriter;
    private readonly CountingReader _input;
    private readonly ResponseWriter _output;
    // What of this life is complete already, so Reuse does not complete it again: every Complete
    // of a pipe end takes the pipe's lock, and once both ends are done takes it a second time.
    // Dispose ran: the exchange's input and the response writer are complete.
    private bool _disposed;
    // The pump completed the response reader.
    private bool _responseReaderDone;

    /// <param name="loop">
    /// The connection's event loop (h2c or TLS on the epoll transport), where the stream's
    /// exchange runs: both pipes are the loop's, the exchange's side woken there posted, never on
    /// the thread pool nor nested in the read loop or the pump that woke it. Null elsewhere.
    /// </param>
    public Http2StreamTransport(Http2Stream stream, EventLoop? loop)
    {
        PipeReader requestReader;
        if (loop is null)
        {
            _request = new Pipe(RequestOptions);
            _response = new Pipe(ResponseOptions);
            requestReader = _request.Reader;
            _requestWriter = _request.Writer;
            _responseReader = _response.Reader;
            _responseWriter = _response.Writer;
        }
        else
        {
            // The read loop never waits to write the request (the stream's receive window bounds it).
            _loopRequest = new LoopPipe(loop, long.MaxValue, long.MaxValue, postReaderWakes: true, postWriterWakes: false);
            _loopResponse = new LoopPipe(loop, ResponsePauseThreshold, ResponseResumeThreshold, postReaderWakes: false, postWriterWakes: true);
            requestReader = _loopRequest.Reader;
            _requestWriter = _loopRequest.Writer;
            _responseReader = _loopResponse.Reader;
            _responseWriter = _loopResponse.Writer;
        }
        _input = new CountingReader(requestReader, stream);
        _output = new ResponseWriter(_responseWriter, stream);
    }

    /// <summary>The exchange's side: the request bytes.</summary>
    public PipeReader Input => _input;

    /// <summary>The exchange's side: the response bytes, each flush of which the stream sends on at once (<see cref="Http2Stream.OnResponseWritten"/>).</summary>
    public PipeWriter Output => _output;

    /// <summary>The stream's side: where the request goes.</summary>
    public PipeWriter RequestWriter => _requestWriter;

    /// <summary>The stream's side: where the response comes from.</summary>
    public PipeReader ResponseReader => _responseReader;

    /// <summary>True while a loop pipe of the bridge holds a block of the loop's pool (bytes in flight); false off a loop (tests).</summary>
    internal bool HoldsBuffers => (_loopRequest?.HoldsBuffer ?? false) || (_loopResponse?.HoldsBuffer ?? false);

    /// <summary>The exchange closed its "connection": both of its ends.</summary>
    public void Dispose()
    {
        _input.Complete();
        _output.Complete();
        _disposed = true;
    }

    /// <summary>The stream's side is done reading the response (the pump ended this life).</summary>
    public void CompleteResponseReader()
    {
        _responseReader.Complete();
        _responseReaderDone = true;
    }

    /// <summary>
    /// Makes the bridge new for the next stream that reuses it (read loop, once every user of the
    /// last stream is done): whatever end is still open is completed quietly (no window
    /// accounting, the last stream is gone) and both pipes start empty. An end known complete
    /// (<paramref name="requestWriterDone"/>: the stream completed the request writer; Dispose;
    /// <see cref="CompleteResponseReader"/>) is not completed again, which after a whole exchange
    /// is every end. The last owner's release orders those writes before this read.
    /// </summary>
    public void Reuse(bool requestWriterDone)
    {
        if (!requestWriterDone)
        {
            _requestWriter.Complete();
        }
        if (!_disposed)
        {
            _input.CompleteQuietly();
            _responseWriter.Complete();
        }
        if (!_responseReaderDone)
        {
            _responseReader.Complete();
        }
        if (_loopRequest is not null)
        {
            _loopRequest.Reset();
            _loopResponse!.Reset();
        }
        else
        {
            _request!.Reset();
            _response!.Reset();
        }
        _input.Reuse();
        _disposed = false;
        _responseReaderDone = false;
    }

    /// <summary>
    /// The response pipe's writer as the exchange sees it: after each flush, and once it is
    /// completed, the stream takes what was written (<see cref="Http2Stream.OnResponseWritten"/>).
    /// A flush after which the stream's response ended says the reader is gone, as the pipe's own
    /// flush did when the pump's read woke inline in it and ended the life there.
    /// </summary>
    private sealed class ResponseWriter(PipeWriter inner, Http2Stream stream) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            var flushing = inner.FlushAsync(cancellationToken);
            if (!stream.OnResponseWritten() || !flushing.IsCompletedSuccessfully)
            {
                return flushing;
            }
            var flushed = flushing.Result;
            return new ValueTask<FlushResult>(flushed.IsCompleted ? flushed : new FlushResult(flushed.IsCanceled, isCompleted: true));
        }

        public override void Complete(Exception? exception = null)
        {
            inner.Complete(exception);
            stream.OnResponseWritten();
        }
    }

    /// <summary>Forwards to the request pipe's reader and tells the stream how many bytes each AdvanceTo consumed.</summary>
    private sealed class CountingReader(PipeReader inner, Http2Stream stream) : PipeReader
    {
        private System.Buffers.ReadOnlySequence<byte> _last;
        private int _completed;

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            var bytes = _last.Slice(_last.Start, consumed).Length;
            _last = default;
            inner.AdvanceTo(consumed, examined);
            if (bytes > 0)
            {
                stream.OnRequestBytesConsumed((int)bytes);
            }
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public void CompleteQuietly()
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                inner.Complete();
            }
        }

        public void Reuse()
        {
            _last = default;
            Volatile.Write(ref _completed, 0);
        }

        public override void Complete(Exception? exception = null)
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                _last = default;
                inner.Complete(exception);
                stream.OnRequestReaderCompleted();
            }
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var reading = inner.ReadAsync(cancellationToken);
            if (reading.IsCompletedSuccessfully)
            {
                var result = reading.Result;
                _last = result.Buffer;
                return new ValueTask<ReadResult>(result);
            }
            return ReadSlowAsync(reading);
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadResult> ReadSlowAsync(ValueTask<ReadResult> reading)
        {
            var result = await reading.ConfigureAwait(false);
            _last = result.Buffer;
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (inner.TryRead(out result))
            {
                _last = result.Buffer;
                return true;
            }
            return false;
        }
    }
}
