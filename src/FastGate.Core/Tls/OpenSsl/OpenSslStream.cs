using System.Buffers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// A server TLS connection as a <see cref="Stream"/>, on an <see cref="OpenSslServerSession"/>
/// over the stream beneath (the socket). One read and one write may run at once, as on any
/// stream (the two pumps of a StreamTransport): the session's calls are short and made under a
/// lock, the socket I/O outside it; sending takes its own async lock so records reach the socket
/// in the order OpenSSL made them. A read decrypts in place: the socket's bytes land in the
/// caller's buffer, are fed to OpenSSL, and the plaintext comes back into that same buffer.
/// </summary>
public sealed class OpenSslStream : Stream
{
    // Plaintext handed to OpenSSL at once: two full records, then they go to the socket. The
    // buffer they go through is rented per write and must stay under the large-object heap's
    // 85,000 bytes: a pool that runs dry under load then allocates ordinary arrays, not LOH ones
    // that only a full collection frees.
    private const int MaxPlaintextPerSend = 2 * 16384;
    // Two records with their headers, padding and tags; a little spare.
    private const int RecordOverhead = 2 * 512;
    private const int SendBufferSize = MaxPlaintextPerSend + RecordOverhead;
    private const int MinSendBufferSize = 1024;
    private const int HandshakeBufferSize = 16 * 1024;

    private readonly Stream _inner;
    private readonly OpenSslServerSession _session;
    // Guards the session: the read pump and the write pump both call into it.
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    // Under _sync: bytes were fed (or plaintext is held) since OpenSSL last asked for more. When
    // false, a read goes straight to the socket instead of asking OpenSSL for what it cannot have.
    private bool _mayDecrypt = true;
    private bool _disposed;

    public OpenSslStream(Stream inner, OpenSslServerSession session)
    {
        _inner = inner;
        _session = session;
    }

    /// <summary>The ALPN protocol agreed in the handshake; default when the client offered none.</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol { get; private set; }

    public SslProtocols SslProtocol { get; private set; }

    public TlsCipherSuite NegotiatedCipherSuite { get; private set; }

    public bool IsResumed { get; private set; }

    /// <summary>The client's certificate, verified; null when it sent none (or none was asked for).</summary>
    public X509Certificate2? RemoteCertificate { get; private set; }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>
    /// Runs the server handshake. A failure (a refused or broken ClientHello, a closed connection)
    /// throws, after sending OpenSSL's alert when it made one.
    /// </summary>
    public async Task AuthenticateAsServerAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HandshakeBufferSize);
        try
        {
            while (true)
            {
                bool done;
                try
                {
                    lock (_sync)
                    {
                        ObjectDisposedException.ThrowIf(_disposed, this);
                        done = _session.Handshake();
                    }
                }
                catch (OpenSslException)
                {
                    await SendAlertAsync().ConfigureAwait(false);
                    throw;
                }
                await SendPendingAsync(cancellationToken).ConfigureAwait(false);
                if (done)
                {
                    break;
                }
                var received = await _inner.ReadAsync(buffer.AsMemory(0, HandshakeBufferSize), cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    throw new IOException("the client closed the connection during the handshake");
                }
                lock (_sync)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    _session.Feed(buffer.AsSpan(0, received));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            NegotiatedApplicationProtocol = _session.ApplicationProtocol;
            SslProtocol = _session.Protocol;
            NegotiatedCipherSuite = _session.CipherSuite;
            IsResumed = _session.IsResumed;
            RemoteCertificate = _session.RemoteCertificate;
        }
    }

    private async Task SendAlertAsync()
    {
        try
        {
            await SendPendingAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The alert is a courtesy; the connection is closed either way.
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (true)
        {
            var status = OpenSslIoStatus.WantRead;
            var read = 0;
            var answer = false;
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_mayDecrypt)
                {
                    status = _session.Read(buffer.Span, out read);
                    _mayDecrypt = status != OpenSslIoStatus.WantRead;
                    // Reading may make records of its own (a TLS 1.3 key update's answer).
                    answer = _session.PendingOutput > 0;
                }
            }
            if (answer)
            {
                await SendPendingAsync(cancellationToken).ConfigureAwait(false);
            }
            switch (status)
            {
                case OpenSslIoStatus.Data:
                    return read;
                case OpenSslIoStatus.Closed:
                    return 0;
            }
            var received = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                // The peer closed without close_notify: the end of the stream all the same, as
                // HTTP framing tells a cut message from a whole one.
                return 0;
            }
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _session.Feed(buffer.Span[..received]);
                _mayDecrypt = true;
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? default : SendAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends close_notify, so the peer can tell a finished response from a cut connection.</summary>
    public async Task ShutdownAsync()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }
            _session.Shutdown();
        }
        await SendPendingAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Sends whatever records the session holds (handshake flights, alerts, answers made while reading).</summary>
    private async Task SendPendingAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_disposed || _session.PendingOutput == 0)
            {
                return;
            }
        }
        await SendAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Under the send lock: encrypts <paramref name="plaintext"/> (none: only what the session
    /// already holds) two records at a time and moves the records to the socket.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        var records = ArrayPool<byte>.Shared.Rent(SendBufferLength(plaintext.Length));
        try
        {
            do
            {
                var chunk = plaintext.Length > MaxPlaintextPerSend ? plaintext[..MaxPlaintextPerSend] : plaintext;
                plaintext = plaintext[chunk.Length..];
                if (!chunk.IsEmpty)
                {
                    lock (_sync)
                    {
                        ObjectDisposedException.ThrowIf(_disposed, this);
                        _session.Write(chunk.Span);
                    }
                }
                await DrainAsync(records, cancellationToken).ConfigureAwait(false);
            }
            while (!plaintext.IsEmpty);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(records);
            _sending.Release();
        }
    }

    /// <summary>
    /// The buffer for one send: as large as the records it will carry (a small response's few
    /// hundred bytes, the held records when there is no plaintext), at most two full records. A
    /// send always ends once the buffer is drained, so a short guess only costs another round.
    /// </summary>
    private int SendBufferLength(int plaintext)
    {
        int pending;
        lock (_sync)
        {
            pending = _disposed ? 0 : _session.PendingOutput;
        }
        return Math.Clamp(pending + Math.Min(plaintext, MaxPlaintextPerSend) + RecordOverhead, MinSendBufferSize, SendBufferSize);
    }

    /// <summary>Moves the session's records to the socket; the caller holds the send lock.</summary>
    private async ValueTask DrainAsync(byte[] records, CancellationToken cancellationToken)
    {
        while (true)
        {
            int taken;
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                taken = _session.TakeOutput(records);
            }
            if (taken == 0)
            {
                return;
            }
            await _inner.WriteAsync(records.AsMemory(0, taken), cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_sync)
            {
                if (_disposed)
                {
                    return;
                }
                _disposed = true;
                _session.Dispose();
            }
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
