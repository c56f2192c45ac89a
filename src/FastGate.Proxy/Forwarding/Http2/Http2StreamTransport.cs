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
    private static readonly PipeOptions ResponseOptions = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 64 * 1024,
        resumeWriterThreshold: 32 * 1024,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

    private readonly Pipe _request;
    private readonly Pipe _response;
    private readonly CountingReader _input;
    // What of this life is complete already, so Reuse does not complete it again: every Complete
    // of a pipe end takes the pipe's lock, and once both ends are done takes it a second time.
    // Dispose ran: the exchange's input and the response writer are complete.
    private bool _disposed;
    // The pump completed the response reader.
    private bool _responseReaderDone;

    /// <param name="loop">
    /// The connection's event loop (h2c on the epoll transport), where the stream's exchange runs:
    /// the exchange's side of both pipes resumes there (<see cref="LoopPipeScheduler"/>), never on
    /// the thread pool nor nested in the read loop or the pump that woke it. Null elsewhere.
    /// </param>
    public Http2StreamTransport(Http2Stream stream, EventLoop? loop)
    {
        if (loop is null)
        {
            _request = new Pipe(RequestOptions);
            _response = new Pipe(ResponseOptions);
        }
        else
        {
            _request = new Pipe(OnLoop(RequestOptions, readerScheduler: new LoopPipeScheduler(loop, inlineOnLoop: false), writerScheduler: PipeScheduler.Inline));
            _response = new Pipe(OnLoop(ResponseOptions, readerScheduler: PipeScheduler.Inline, writerScheduler: new LoopPipeScheduler(loop, inlineOnLoop: false)));
        }
        _input = new CountingReader(_request.Reader, stream);
    }

    /// <summary><paramref name="options"/> with the exchange's side resuming on the loop; sizes and thresholds unchanged.</summary>
    private static PipeOptions OnLoop(PipeOptions options, PipeScheduler readerScheduler, PipeScheduler writerScheduler) => new(
        pool: options.Pool,
        readerScheduler: readerScheduler,
        writerScheduler: writerScheduler,
        pauseWriterThreshold: options.PauseWriterThreshold,
        // A pipe that never pauses (threshold 0) takes no resume threshold.
        resumeWriterThreshold: options.PauseWriterThreshold == 0 ? -1 : options.ResumeWriterThreshold,
        minimumSegmentSize: options.MinimumSegmentSize,
        useSynchronizationContext: false);

    /// <summary>The exchange's side: the request bytes.</summary>
    public PipeReader Input => _input;

    /// <summary>The exchange's side: the response bytes.</summary>
    public PipeWriter Output => _response.Writer;

    /// <summary>The stream's side: where the request goes.</summary>
    public PipeWriter RequestWriter => _request.Writer;

    /// <summary>The stream's side: where the response comes from.</summary>
    public PipeReader ResponseReader => _response.Reader;

    /// <summary>The exchange closed its "connection": both of its ends.</summary>
    public void Dispose()
    {
        _input.Complete();
        _response.Writer.Complete();
        _disposed = true;
    }

    /// <summary>The stream's side is done reading the response (the pump ended this life).</summary>
    public void CompleteResponseReader()
    {
        _response.Reader.Complete();
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
            _request.Writer.Complete();
        }
        if (!_disposed)
        {
            _input.CompleteQuietly();
            _response.Writer.Complete();
        }
        if (!_responseReaderDone)
        {
            _response.Reader.Complete();
        }
        _request.Reset();
        _response.Reset();
        _input.Reuse();
        _disposed = false;
        _responseReaderDone = false;
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
