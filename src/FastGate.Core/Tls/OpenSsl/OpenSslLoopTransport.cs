using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastGate.Core.Buffers;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// A server TLS connection as pipes, with the record layer on the thread that owns the transport
/// beneath (an <see cref="EpollConnection"/>'s event loop): OpenSSL reads the ciphertext in the
/// inner transport's receive buffer where it lies and decrypts it straight into <see cref="Input"/>;
/// plaintext flushed to <see cref="Output"/> is encrypted straight into the inner transport's
/// output (no buffer of records in between, see <see cref="OpenSslRecordBio"/>) and flushed (on a
/// loop, a small write at the end of the loop's turn, with what the rest of the turn wrote). No
/// stream, no thread-pool hop: on a loop, the HTTP code above and the two pumps here all run on
/// the loop thread, each waking the next inline.
/// <para>
/// Every call into the session and the inner transport is made by the handshake and then the two
/// pumps, on the loop (or, without one, on the thread that completed the inner pipe: tests over an
/// in-memory pair). On a loop the plaintext pipes are the loop's too (<see cref="LoopPipe"/>, no
/// lock and no block held between requests), to be read and written there as the loop's socket
/// pipes are: a cancel or a dispose from another thread is posted to the loop. Without one they are
/// <see cref="Pipe"/>s, safe from any thread.
/// Disposing completes the plaintext pipes; the write pump then encrypts what is left, sends
/// close_notify (for a few seconds at most, to a peer that does not read) and closes the inner
/// transport, and the session is freed once both pumps are out of it.
/// </para>
/// </summary>
public sealed class OpenSslLoopTransport : ITransport, ISendProgress, ILoopBound, IThreadPoolWorkItem, ILoopTimerTarget
{
    // How long a closing connection may take to write its last records to a peer that does not read.
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);
    // The most plaintext in one record (RFC 8446 5.1): writes are cut and gathered to this size,
    // so a response split over several pipe blocks still goes out in full records.
    private const int MaxRecordPlaintext = 16384;
    // Plaintext decrypted before it is handed to the reader; then the socket is read again.
    private const int MaxDecryptPerFlush = 64 * 1024;

    // A buffer to gather plaintext split over pipe blocks into full records, one per thread (a
    // loop's): filled and encrypted within one call, never held across an await.
    [ThreadStatic]
    private static byte[]? t_gather;

    private readonly ITransport _inner;
    private readonly OpenSslServerSession _session;
    // The plaintext both ways: on a loop, loop pipes (see LoopPipe); without one, Pipes.
    private readonly LoopPipe? _loopInput;
    private readonly LoopPipe? _loopOutput;
    // The ends of the plaintext pipes: the HTTP code's (Input, Output) and the pumps'.
    private readonly PipeReader _inputReader;
    private readonly PipeWriter _inputWriter;
    private readonly PipeReader _outputReader;
    private readonly PipeWriter _outputWriter;
    private readonly EventLoop? _loop;
    // The write pump waits for the inner transport to take its records (the peer reads slowly).
    private bool _sending;
    private bool _writePumpEnded;
    private bool _started;
    private int _pumps;
    private int _disposed;
    private long _plaintextSent;
    private CancellationTokenSource? _grace;
    // Bounds the handshake on the loop's own timer wheel: no thread-pool timer per connection.
    private LoopTimer? _handshakeTimer;

    /// <param name="inner">The connection the records travel on; closed with this transport.</param>
    /// <param name="loop">The event loop that owns <paramref name="inner"/>; null when its pipes may be used from any thread one at a time.</param>
    public OpenSslLoopTransport(ITransport inner, OpenSslServerSession session, EventLoop? loop)
    {
        _inner = inner;
        _session = session;
        // OpenSSL writes its records straight into the socket's send pipe.
        session.Output = inner.Output;
        _loop = loop;
        if (loop is not null)
        {
            // The HTTP code above reads and writes the plaintext on the loop, as it does a plain
            // connection's socket pipes: no lock, no scheduler, blocks from the loop's pool that go
            // back once consumed, and every wake (the reader, the write pump, a read pump held back
            // by a full pipe) runs inline.
            _loopInput = new LoopPipe(loop, PauseWriterThreshold, ResumeWriterThreshold);
            _loopOutput = new LoopPipe(loop, PauseWriterThreshold, ResumeWriterThreshold);
            _inputReader = _loopInput.Reader;
            _inputWriter = _loopInput.Writer;
            _outputReader = _loopOutput.Reader;
            _outputWriter = _loopOutput.Writer;
            return;
        }
        // Without a loop (tests over an in-memory pair) any thread may use the pipes, one at a
        // time; every wake resumes inline.
        var input = new Pipe(InlineOptions);
        var output = new Pipe(InlineOptions);
        _inputReader = input.Reader;
        _inputWriter = input.Writer;
        _outputReader = output.Reader;
        _outputWriter = output.Writer;
    }

    // Plaintext is held up to a few records per direction: past that, the side that writes it
    // waits (the HTTP code for a slow peer, the read pump for slow HTTP code), as on a socket.
    private const long PauseWriterThreshold = 64 * 1024;
    private const long ResumeWriterThreshold = 32 * 1024;

    // Shared by every connection: options hold no state of their own.
    private static readonly PipeOptions InlineOptions = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: PauseWriterThreshold,
        resumeWriterThreshold: ResumeWriterThreshold,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

    public PipeReader Input => _inputReader;

    public PipeWriter Output => _outputWriter;

    /// <summary>True while a plaintext pipe holds a block of the loop's pool (bytes in flight); false off a loop.</summary>
    internal bool HoldsPlaintextBuffers => (_loopInput?.HoldsBuffer ?? false) || (_loopOutput?.HoldsBuffer ?? false);

    public ITransport Inner => _inner;

    /// <summary>
    /// Leaves <paramref name="waiter"/> to be told, on the loop, when the reader has something to
    /// read: decrypted plaintext, the end of the connection (close_notify, FIN, a reset, a broken
    /// record) or a cancelled read; what an idle keep-alive connection does instead of a pending
    /// read, as on a plain <see cref="EpollConnection"/>. The record pumps go on meanwhile (a key
    /// update is answered, a record that arrives in pieces is gathered by the session). False off
    /// a loop, before the handshake is done, after a dispose, and when plaintext already waits.
    /// Loop thread only.
    /// </summary>
    public bool TryPark(IParkedReader waiter) =>
        _loopInput is not null && _started && Volatile.Read(ref _disposed) == 0 && _loopInput.TryPark(waiter);

    /// <summary>True while a reader is parked on <see cref="Input"/> (tests).</summary>
    internal bool IsParked => _loopInput?.IsParked ?? false;

    /// <summary>The event loop the records move on, where code reading and writing these pipes runs best; null without one.</summary>
    public EventLoop? Loop => _loop;

    /// <summary>The ALPN protocol agreed in the handshake; default when the client offered none.</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol { get; private set; }

    public SslProtocols SslProtocol { get; private set; }

    public TlsCipherSuite NegotiatedCipherSuite { get; private set; }

    public bool IsResumed { get; private set; }

    /// <summary>The client's certificate, verified; null when it sent none (or none was asked for).</summary>
    public X509Certificate2? RemoteCertificate { get; private set; }

    /// <summary>
    /// What the peer has taken, counted below TLS: records, a few bytes more per record than the
    /// plaintext, close enough to judge a rate by. On the loop the kernel's unsent bytes are left
    /// out; elsewhere (a heartbeat) it is what the kernel took, which needs no call on the socket.
    /// </summary>
    public long BytesDelivered => _inner switch
    {
        EpollConnection connection => connection.Loop.IsCurrent ? connection.BytesDelivered : connection.BytesSent,
        ISendProgress progress => progress.BytesDelivered,
        _ => Interlocked.Read(ref _plaintextSent),
    };

    /// <summary>
    /// Runs the server handshake over the inner transport's pipes (on its loop), then starts moving
    /// records. A failure (a refused or broken ClientHello, a closed connection) throws, after
    /// sending OpenSSL's alert when it made one; the caller then disposes this transport.
    /// </summary>
    public Task HandshakeAsync() => HandshakeAsync(Timeout.InfiniteTimeSpan);

    /// <summary>
    /// As <see cref="HandshakeAsync()"/>, bounded by <paramref name="timeout"/> on the loop (call it
    /// there): a client that stalls has its connection closed, the handshake then fails and
    /// <see cref="HandshakeTimedOut"/> says why. Without a loop the caller bounds it.
    /// </summary>
    public async Task HandshakeAsync(TimeSpan timeout)
    {
        if (_loop is not null && timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            _handshakeTimer = _loop.Timers.Create(this);
            _handshakeTimer.ScheduleAfter(timeout);
        }
        try
        {
            var source = _inner.Input;
            // The bytes of the inner transport's last read, not yet handed back to it.
            var received = ReadOnlySequence<byte>.Empty;
            var reading = false;
            while (true)
            {
                bool done;
                try
                {
                    done = _session.Handshake(ref received);
                }
                catch (Exception)
                {
                    if (reading)
                    {
                        source.AdvanceTo(received.End);
                    }
                    await SendAlertAsync().ConfigureAwait(false);
                    throw;
                }
                if (reading)
                {
                    reading = false;
                    if (done)
                    {
                        // Bytes past the client's last handshake message (its first request, sent
                        // with its Finished) stay in the inner transport, unexamined: the read
                        // pump's first read returns them at once.
                        source.AdvanceTo(received.Start);
                    }
                    else
                    {
                        // OpenSSL took all there was (a part of a record is kept in its own buffer).
                        source.AdvanceTo(received.Start, received.End);
                    }
                }
                if (done && HoldsRequest(received))
                {
                    // The session ticket waits for the answer to the request that came with the
                    // client's Finished, and goes out in the same send.
                    break;
                }
                var flushed = await _inner.Output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    throw new IOException("the connection closed during the handshake");
                }
                if (done)
                {
                    break;
                }
                var result = await source.ReadAsync().ConfigureAwait(false);
                received = result.Buffer;
                if (received.IsEmpty && result.IsCompleted)
                {
                    source.AdvanceTo(received.End);
                    throw new IOException("the client closed the connection during the handshake");
                }
                reading = true;
            }
            NegotiatedApplicationProtocol = _session.ApplicationProtocol;
            SslProtocol = _session.Protocol;
            NegotiatedCipherSuite = _session.CipherSuite;
            IsResumed = _session.IsResumed;
            RemoteCertificate = _session.RemoteCertificate;
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(nameof(OpenSslLoopTransport));
            }
            _started = true;
            _pumps = 2;
            _ = ReadLoopAsync();
            _ = WriteLoopAsync();
        }
        finally
        {
            // Ended on the loop, where the timer fires too: a handshake done is never timed out after.
            _handshakeTimer?.Cancel();
            _handshakeTimer = null;
        }
    }

    /// <summary>True when the handshake's time ran out and its connection was closed for it.</summary>
    public bool HandshakeTimedOut { get; private set; }

    void ILoopTimerTarget.OnTimer(long now)
    {
        if (_handshakeTimer is null)
        {
            return;
        }
        _handshakeTimer = null;
        HandshakeTimedOut = true;
        // A stalled client sends nothing more: closing the socket ends the handshake's wait.
        _inner.Dispose();
    }

    /// <summary>
    /// True when a TLS 1.3 handshake ended with application data already fed: what the server still
    /// has to send (its tickets) can wait for the answer. Not in TLS 1.2, where the server's last
    /// flight holds its Finished.
    /// </summary>
    private bool HoldsRequest(in ReadOnlySequence<byte> left) =>
        (!left.IsEmpty || _session.PendingInput > 0) && _session.Protocol == SslProtocols.Tls13;

    private async Task SendAlertAsync()
    {
        try
        {
            await _inner.Output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The alert is a courtesy; the connection is closed either way.
        }
    }

    /// <summary>
    /// Peer to reader: ciphertext from the inner transport into the session, plaintext out of it into
    /// <see cref="Input"/>. Ends at the peer's close_notify or FIN (the reader sees the end), at a
    /// broken record or socket (the reader sees an error), or when the reader is done.
    /// </summary>
    private async Task ReadLoopAsync()
    {
        var source = _inner.Input;
        var writer = _inputWriter;
        Exception? error = null;
        try
        {
            var ended = false;
            while (!ended)
            {
                // The first read returns at once what the handshake left (a request sent with the client's Finished).
                var result = await source.ReadAsync().ConfigureAwait(false);
                var received = result.Buffer;
                try
                {
                    ended = await DecryptAllAsync(writer, received).ConfigureAwait(false);
                }
                finally
                {
                    // OpenSSL took every byte: what a record had of it so far is in its own buffer.
                    source.AdvanceTo(received.End);
                }
                if (result.IsCompleted)
                {
                    // The peer closed, maybe without close_notify: the end of the stream all the
                    // same, as HTTP framing tells a cut message from a whole one.
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = new IOException("the connection failed while reading", ex);
        }
        writer.Complete(error);
        PumpEnded();
    }

    /// <summary>
    /// Decrypts the records in <paramref name="received"/> into <paramref name="writer"/>, flushing
    /// it every so often, until OpenSSL has read them all: true when the stream ended (close_notify,
    /// or the reader is done).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> DecryptAllAsync(PipeWriter writer, ReadOnlySequence<byte> received)
    {
        while (true)
        {
            var produced = _session.Produced;
            var left = received.Length;
            var status = Decrypt(writer, ref received, out var decrypted);
            if (_session.Produced != produced)
            {
                // Reading made records of its own (a TLS 1.3 key update's answer).
                Answer();
            }
            if (decrypted > 0)
            {
                var flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    return true;
                }
            }
            switch (status)
            {
                case OpenSslIoStatus.Closed:
                    return true;
                case OpenSslIoStatus.Data:
                    // A flush's worth decrypted; more records may follow in the same bytes.
                    continue;
                default:
                    if (!received.IsEmpty && received.Length < left)
                    {
                        // A record that was not data (a ticket, a key update) ended the read early.
                        continue;
                    }
                    return false;
            }
        }
    }

    /// <summary>
    /// Decrypts what <paramref name="received"/> holds into <paramref name="writer"/>, up to a
    /// flush's worth: Data when more may wait, WantRead when the session needs bytes, Closed at close_notify.
    /// </summary>
    private OpenSslIoStatus Decrypt(PipeWriter writer, ref ReadOnlySequence<byte> received, out int decrypted)
    {
        decrypted = 0;
        while (true)
        {
            var status = _session.Read(ref received, writer.GetSpan(), out var read);
            switch (status)
            {
                case OpenSslIoStatus.Data:
                    writer.Advance(read);
                    decrypted += read;
                    if (decrypted >= MaxDecryptPerFlush)
                    {
                        return OpenSslIoStatus.Data;
                    }
                    continue;
                case OpenSslIoStatus.WantRead:
                    // The span goes back unused (a loop pipe then returns its block when it holds nothing else).
                    writer.Advance(0);
                    return status;
                default:
                    return status;
            }
        }
    }

    /// <summary>Records made while reading go out with the write pump's next flush; it is woken for them when idle.</summary>
    private void Answer()
    {
        if (!_sending && !_writePumpEnded)
        {
            // The write pump takes a cancelled read as "flush what the inner output holds".
            _outputReader.CancelPendingRead();
        }
    }

    /// <summary>
    /// Writer to peer: plaintext flushed to <see cref="Output"/> encrypted into the inner transport's
    /// output and flushed. At the end (this transport disposed, or the peer gone) it sends
    /// close_notify, closes the inner transport and ends the read pump with it.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var reader = _outputReader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var atTurnEnd = false;
                if (_loop is not null && !_loop.IsCurrent)
                {
                    // Woken by a flush (or a Dispose) off the loop: the session and the socket are the loop's.
                    await _loop.SwitchTo();
                    atTurnEnd = true;
                }
                var written = result.Buffer.Length;
                var completed = Take(reader, result);
                if (!completed && !atTurnEnd && _loop is not null && written < MaxRecordPlaintext)
                {
                    // A small write: the send waits for the end of the loop's turn, so what the rest
                    // of the turn writes goes in it too. A connection's last response and its
                    // close_notify leave in one send, as do responses to pipelined requests; the
                    // plaintext pipe's limit bounds what may gather meanwhile.
                    await new LoopTurnEnd(_loop);
                    while (!completed && reader.TryRead(out var more))
                    {
                        var gathered = more.Buffer.Length;
                        completed = Take(reader, more);
                        if (gathered == 0)
                        {
                            break;
                        }
                    }
                }
                if (completed)
                {
                    // Flushed below with the close_notify.
                    break;
                }
                await FlushRecordsAsync().ConfigureAwait(false);
            }
            // close_notify: the peer can tell a finished response from a cut connection.
            _session.Shutdown();
            await FlushRecordsAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The writer sees the failure at its next flush, as on a socket.
            error = ex;
        }
        _writePumpEnded = true;
        reader.Complete(error);
        _grace?.Dispose();
        // Closing the connection ends the read pump's wait on it.
        _inner.Dispose();
        PumpEnded();
    }

    /// <summary>Encrypts a read's plaintext into the inner output (not flushed) and consumes it; true when the writer is done.</summary>
    private bool Take(PipeReader reader, in ReadResult result)
    {
        var buffer = result.Buffer;
        if (!buffer.IsEmpty)
        {
            Encrypt(buffer);
            Interlocked.Add(ref _plaintextSent, buffer.Length);
        }
        reader.AdvanceTo(buffer.End);
        return result.IsCompleted;
    }

    /// <summary>Flushes the inner output; when the peer is slow to take it and this transport is closing, within the grace only.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushRecordsAsync()
    {
        var flushing = _inner.Output.FlushAsync();
        FlushResult flushed;
        if (flushing.IsCompleted)
        {
            flushed = flushing.Result;
        }
        else
        {
            _sending = true;
            if (Volatile.Read(ref _disposed) != 0)
            {
                ArmGrace();
            }
            try
            {
                flushed = await flushing.ConfigureAwait(false);
            }
            finally
            {
                _sending = false;
            }
        }
        if (flushed.IsCompleted)
        {
            throw new IOException("the connection is closed");
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> in full records where it can, into the inner output.</summary>
    private void Encrypt(in ReadOnlySequence<byte> plaintext)
    {
        if (plaintext.IsSingleSegment)
        {
            EncryptSpan(plaintext.FirstSpan);
            return;
        }
        var gather = t_gather ??= GC.AllocateUninitializedArray<byte>(MaxRecordPlaintext);
        var gathered = 0;
        foreach (var segment in plaintext)
        {
            var span = segment.Span;
            while (!span.IsEmpty)
            {
                if (gathered == 0 && span.Length >= MaxRecordPlaintext)
                {
                    // Whole records straight from the pipe's block.
                    var whole = span.Length - span.Length % MaxRecordPlaintext;
                    EncryptSpan(span[..whole]);
                    span = span[whole..];
                    continue;
                }
                var count = Math.Min(span.Length, MaxRecordPlaintext - gathered);
                span[..count].CopyTo(gather.AsSpan(gathered));
                gathered += count;
                span = span[count..];
                if (gathered == MaxRecordPlaintext)
                {
                    EncryptSpan(gather);
                    gathered = 0;
                }
            }
        }
        if (gathered > 0)
        {
            EncryptSpan(gather.AsSpan(0, gathered));
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> straight into the inner output, which always has room.</summary>
    private void EncryptSpan(ReadOnlySpan<byte> plaintext)
    {
        if (!plaintext.IsEmpty)
        {
            _session.Write(plaintext);
        }
    }

    private void ArmGrace()
    {
        if (_grace is not null)
        {
            return;
        }
        _grace = new CancellationTokenSource(CloseGrace);
        // The peer does not read: what is left is dropped with the connection.
        _grace.Token.UnsafeRegister(static inner => ((ITransport)inner!).Dispose(), _inner);
    }

    private void PumpEnded()
    {
        // On the loop both pumps end on its thread; without one they may end on two.
        if (Interlocked.Decrement(ref _pumps) == 0)
        {
            _session.Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_loop is null || _loop.IsCurrent)
        {
            OnDisposed();
        }
        else
        {
            // The loop's pipes are completed on the loop, like every other call into them.
            _loop.Post(this);
        }
    }

    void IThreadPoolWorkItem.Execute() => OnDisposed();

    /// <summary>
    /// On the loop: completes the plaintext pipes (the pumps then end); without pumps (a failed
    /// handshake) closes at once; else bounds a flush the peer holds up.
    /// </summary>
    private void OnDisposed()
    {
        _inputReader.Complete();
        _outputWriter.Complete();
        if (!_started)
        {
            _inner.Dispose();
            _session.Dispose();
            return;
        }
        if (_sending)
        {
            ArmGrace();
        }
    }
}
