using System.Buffers;
using FastGate.Core.Buffers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// The server side of one TLS connection, driven by hand: the caller hands in the bytes that came
/// from the peer and OpenSSL's records go into the caller's output, through a BIO that holds no
/// buffer of its own (<see cref="OpenSslRecordBio"/>). On a loop, the socket's receive block is
/// read in place and records are written straight into the socket's send pipe; a caller without
/// buffers of its own (<see cref="OpenSslStream"/>, tests) feeds bytes in and takes records out,
/// and the session holds them in pooled buffers only while they wait. It does no I/O and takes
/// no lock: one caller at a time. Reading and writing records allocates nothing; the session is
/// found again from OpenSSL's callbacks through the SSL's ex data and the BIO's data, which hold
/// a handle to it.
/// </summary>
public sealed unsafe class OpenSslServerSession : IDisposable
{
    // The most room asked of the output at once: most of a block.
    private const int RecordSpaceHint = 4096;

    private static readonly int ExDataIndex = LibCrypto.CRYPTO_get_ex_new_index(LibCrypto.CRYPTO_EX_INDEX_SSL, 0, 0, 0, 0, 0);

    private readonly SafeSslHandle _ssl;
    // The contexts OpenSSL may still call into: the first one and the one SNI switched to.
    private readonly OpenSslServerContext _context;
    private OpenSslServerContext? _switched;
    // During one call into OpenSSL: the peer's bytes it may read (what is left when it returns
    // goes back to the caller), and where its records go.
    private ReadOnlySequence<byte> _received;
    private IBufferWriter<byte>? _output;
    // Why the output refused records during the call at hand (a closed pipe).
    private Exception? _outputFailure;
    // Fed bytes and records to take, for callers that use Feed and TakeOutput; made on first use.
    // Off the loops (Feed and TakeOutput): the peer's bytes not read yet, and records not taken
    // yet. Each array goes back to the pool as soon as its bytes are gone, so an idle connection holds none.
    private PooledByteBuffer? _fed;
    private PooledByteBuffer? _records;
    private bool _disposed;

    public OpenSslServerSession(OpenSslServerContext context, IOpenSslContextSelector? selector, TlsTicketKeyRing ticketKeys, IOpenSslPeerVerifier? verifier)
    {
        _context = context;
        Selector = selector;
        TicketKeys = ticketKeys;
        Verifier = verifier;
        _ssl = SafeSslHandle.Create(context.Handle);
        var owner = GCHandle.Alloc(this, GCHandleType.Normal);
        _ssl.FreeWithSsl(owner);
        var self = GCHandle.ToIntPtr(owner);
        // One BIO both ways, owned by the SSL (freed with it).
        var bio = OpenSslRecordBio.Create(self);
        if (bio == 0)
        {
            _ssl.Dispose();
            throw OpenSslException.FromErrorQueue("BIO_new failed");
        }
        LibSsl.SSL_set_bio(_ssl, bio, bio);
        LibSsl.SSL_set_accept_state(_ssl);
        LibSsl.SSL_set_ex_data(_ssl, ExDataIndex, self);
    }

    internal IOpenSslContextSelector? Selector { get; }

    internal TlsTicketKeyRing TicketKeys { get; }

    internal IOpenSslPeerVerifier? Verifier { get; }

    /// <summary>The client certificate the verifier accepted in this handshake.</summary>
    internal X509Certificate2? PeerCertificate { get; set; }

    /// <summary>
    /// Where records for the peer go as OpenSSL makes them (a socket's send pipe); null to keep
    /// them in the session for <see cref="TakeOutput"/>. A writer whose <c>GetSpan()</c> comes
    /// back empty has no room: the call that made the records returns as <see cref="OpenSslIoStatus.WantWrite"/>
    /// (or false) and OpenSSL holds the rest until the same call is made again.
    /// </summary>
    public IBufferWriter<byte>? Output
    {
        get => _output;
        set => _output = value;
    }

    /// <summary>Bytes of records put in <see cref="Output"/> or queued so far: a change after a read says it made records (a key update's answer).</summary>
    public long Produced { get; private set; }

    /// <summary>Bytes of records waiting to be taken (without an <see cref="Output"/>).</summary>
    public int PendingOutput => _records?.Length ?? 0;

    /// <summary>Bytes fed from the peer that no handshake step or read has taken yet (a request sent with the client's Finished).</summary>
    public int PendingInput => (_fed?.Length ?? 0) + LibSsl.SSL_has_pending(_ssl);

    /// <summary>True while the session holds a pooled buffer of fed bytes or records (they wait to be read or taken).</summary>
    internal bool HoldsBuffers => (_fed?.HoldsArray ?? false) || (_records?.HoldsArray ?? false);

    public bool IsHandshakeComplete { get; private set; }

    /// <summary>Runs the handshake as far as the fed bytes allow: true once it is finished.</summary>
    public bool Handshake()
    {
        var received = BeginFed();
        var done = Handshake(ref received);
        EndFed(received);
        return done;
    }

    /// <summary>
    /// Runs the handshake as far as <paramref name="received"/> (the peer's bytes) allows: true
    /// once it is finished. What OpenSSL read is sliced off <paramref name="received"/>: all of it
    /// when it wants more, and when finished, the bytes past the client's last handshake message
    /// are left (a request sent with it). False also when <see cref="Output"/> had no room.
    /// </summary>
    public bool Handshake(ref ReadOnlySequence<byte> received)
    {
        Begin(received);
        int result;
        try
        {
            result = LibSsl.SSL_do_handshake(_ssl);
        }
        finally
        {
            received = End();
        }
        if (result == 1)
        {
            IsHandshakeComplete = true;
            return true;
        }
        var error = LibSsl.SSL_get_error(_ssl, result);
        if (error is LibSsl.SSL_ERROR_WANT_READ or LibSsl.SSL_ERROR_WANT_WRITE)
        {
            return false;
        }
        ThrowOutputFailure();
        throw OpenSslException.FromErrorQueue(error == LibSsl.SSL_ERROR_SSL ? "handshake refused" : $"handshake failed (SSL error {error})");
    }

    /// <summary>Hands bytes that came from the peer to the session, which keeps them until a handshake step or a read takes them.</summary>
    public void Feed(ReadOnlySpan<byte> received)
    {
        if (!received.IsEmpty)
        {
            (_fed ??= new PooledByteBuffer()).Write(received);
        }
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length of records for the peer into it.</summary>
    public int TakeOutput(Span<byte> destination)
    {
        if (_records is not { Length: > 0 } records)
        {
            return 0;
        }
        var count = Math.Min(destination.Length, records.Length);
        records.WrittenSpan[..count].CopyTo(destination);
        ConsumeQueued(records, count);
        return count;
    }

    /// <summary>Drops what was taken of a queue; its array goes back to the pool once nothing waits.</summary>
    private static void ConsumeQueued(PooledByteBuffer queue, int count)
    {
        queue.Consume(count);
        if (queue.Length == 0)
        {
            queue.Release();
        }
    }

    /// <summary>Decrypts into <paramref name="destination"/> what the fed bytes hold.</summary>
    public OpenSslIoStatus Read(Span<byte> destination, out int read)
    {
        var received = BeginFed();
        var status = Read(ref received, destination, out read);
        EndFed(received);
        return status;
    }

    /// <summary>
    /// Decrypts into <paramref name="destination"/> what the records in <paramref name="received"/>
    /// (and any part of one OpenSSL holds from before) hold. What OpenSSL read is sliced off
    /// <paramref name="received"/>: all of it at <see cref="OpenSslIoStatus.WantRead"/>; after
    /// <see cref="OpenSslIoStatus.Data"/>, what is left may hold more records.
    /// </summary>
    public OpenSslIoStatus Read(ref ReadOnlySequence<byte> received, Span<byte> destination, out int read)
    {
        Begin(received);
        nuint count;
        int result;
        try
        {
            fixed (byte* data = destination)
            {
                result = LibSsl.SSL_read_ex(_ssl, data, (nuint)destination.Length, &count);
            }
        }
        finally
        {
            received = End();
        }
        if (result == 1)
        {
            read = (int)count;
            return OpenSslIoStatus.Data;
        }
        read = 0;
        var error = LibSsl.SSL_get_error(_ssl, result);
        switch (error)
        {
            case LibSsl.SSL_ERROR_WANT_READ:
                return OpenSslIoStatus.WantRead;
            case LibSsl.SSL_ERROR_WANT_WRITE:
                return OpenSslIoStatus.WantWrite;
            case LibSsl.SSL_ERROR_ZERO_RETURN:
                return OpenSslIoStatus.Closed;
        }
        ThrowOutputFailure();
        throw OpenSslException.FromErrorQueue($"TLS read failed (SSL error {error})");
    }

    /// <summary>
    /// Encrypts <paramref name="source"/> into records, into <see cref="Output"/> (or kept for
    /// <see cref="TakeOutput"/>). False when the output had no room for all of them: OpenSSL
    /// holds what it made, and the call is to be made again with the same bytes once there is room.
    /// </summary>
    public bool Write(ReadOnlySpan<byte> source)
    {
        Begin(ReadOnlySequence<byte>.Empty);
        nuint written;
        int result;
        try
        {
            fixed (byte* data = source)
            {
                result = LibSsl.SSL_write_ex(_ssl, data, (nuint)source.Length, &written);
            }
        }
        finally
        {
            End();
        }
        if (result == 1)
        {
            return true;
        }
        var error = LibSsl.SSL_get_error(_ssl, result);
        if (error == LibSsl.SSL_ERROR_WANT_WRITE)
        {
            return false;
        }
        ThrowOutputFailure();
        throw OpenSslException.FromErrorQueue($"TLS write failed (SSL error {error})");
    }

    /// <summary>Puts close_notify for the peer into the output.</summary>
    public void Shutdown()
    {
        if (!IsHandshakeComplete)
        {
            return;
        }
        Begin(ReadOnlySequence<byte>.Empty);
        try
        {
            LibSsl.SSL_shutdown(_ssl);
            LibCrypto.ERR_clear_error();
        }
        finally
        {
            End();
        }
    }

    /// <summary>Before each call into OpenSSL: what it may read, and an empty error queue, so a failure reads its own errors only.</summary>
    private void Begin(in ReadOnlySequence<byte> received)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _received = received;
        _outputFailure = null;
        LibCrypto.ERR_clear_error();
    }

    private ReadOnlySequence<byte> End()
    {
        // The caller's bytes are not held past the call.
        var left = _received;
        _received = default;
        return left;
    }

    private ReadOnlySequence<byte> BeginFed() => _fed is { Length: > 0 } fed ? new ReadOnlySequence<byte>(fed.WrittenMemory) : ReadOnlySequence<byte>.Empty;

    private void EndFed(in ReadOnlySequence<byte> left)
    {
        if (_fed is { Length: > 0 } fed)
        {
            ConsumeQueued(fed, fed.Length - (int)left.Length);
        }
    }

    private void ThrowOutputFailure()
    {
        var failure = _outputFailure;
        if (failure is not null)
        {
            _outputFailure = null;
            throw new IOException("the records could not be written out", failure);
        }
    }

    /// <summary>From the BIO: copies the next of the caller's bytes into OpenSSL's buffer; 0 when none are left.</summary>
    internal int ReadRecords(Span<byte> destination)
    {
        var received = _received;
        if (received.IsEmpty || destination.IsEmpty)
        {
            return 0;
        }
        var first = received.FirstSpan;
        if (first.Length >= destination.Length || received.IsSingleSegment)
        {
            var count = Math.Min(first.Length, destination.Length);
            first[..count].CopyTo(destination);
            _received = received.Slice(count);
            return count;
        }
        return ReadSegments(received, destination);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReadSegments(in ReadOnlySequence<byte> received, Span<byte> destination)
    {
        var count = (int)Math.Min(received.Length, destination.Length);
        received.Slice(0, count).CopyTo(destination);
        _received = received.Slice(count);
        return count;
    }

    /// <summary>From the BIO: copies OpenSSL's records into the output as far as it has room; 0 when it has none, -1 when it failed.</summary>
    internal int WriteRecords(ReadOnlySpan<byte> records)
    {
        try
        {
            var output = (IBufferWriter<byte>?)_output ?? (_records ??= new PooledByteBuffer());
            var written = 0;
            while (written < records.Length)
            {
                // Room for the whole record where the output can give it, so a record rarely straddles two blocks.
                var span = output.GetSpan(Math.Min(records.Length - written, RecordSpaceHint));
                if (span.IsEmpty)
                {
                    break;
                }
                var count = Math.Min(span.Length, records.Length - written);
                records.Slice(written, count).CopyTo(span);
                output.Advance(count);
                written += count;
            }
            Produced += written;
            return written;
        }
        catch (Exception ex)
        {
            // Thrown back from the call into OpenSSL, not through its stack.
            _outputFailure = ex;
            return -1;
        }
    }

    public SslProtocols Protocol => LibSsl.SSL_version(_ssl) switch
    {
        LibSsl.TLS1_3_VERSION => SslProtocols.Tls13,
        LibSsl.TLS1_2_VERSION => SslProtocols.Tls12,
        _ => SslProtocols.None,
    };

    public TlsCipherSuite CipherSuite
    {
        get
        {
            var cipher = LibSsl.SSL_get_current_cipher(_ssl);
            return cipher == 0 ? 0 : (TlsCipherSuite)LibSsl.SSL_CIPHER_get_protocol_id(cipher);
        }
    }

    /// <summary>The protocol ALPN agreed on; empty when the client offered none.</summary>
    public SslApplicationProtocol ApplicationProtocol
    {
        get
        {
            byte* data;
            uint length;
            LibSsl.SSL_get0_alpn_selected(_ssl, &data, &length);
            var name = new ReadOnlySpan<byte>(data, (int)length);
            if (name.IsEmpty)
            {
                return default;
            }
            if (name.SequenceEqual("h2"u8))
            {
                return SslApplicationProtocol.Http2;
            }
            if (name.SequenceEqual("http/1.1"u8))
            {
                return SslApplicationProtocol.Http11;
            }
            return new SslApplicationProtocol(name.ToArray());
        }
    }

    /// <summary>True when the client resumed an earlier session (a ticket or a cached session id).</summary>
    public bool IsResumed => LibSsl.SSL_session_reused(_ssl) == 1;

    /// <summary>The client's certificate: the one verified in this handshake, or the one a resumed session was made with; null without one.</summary>
    public X509Certificate2? RemoteCertificate
    {
        get
        {
            if (PeerCertificate is null)
            {
                var peer = LibSsl.SSL_get0_peer_certificate(_ssl);
                if (peer != 0)
                {
                    PeerCertificate = LoadCertificate(peer);
                }
            }
            return PeerCertificate;
        }
    }

    internal static OpenSslServerSession? FromSsl(nint ssl)
    {
        var self = LibSsl.SSL_get_ex_data(ssl, ExDataIndex);
        return self == 0 ? null : GCHandle.FromIntPtr(self).Target as OpenSslServerSession;
    }

    /// <summary>SNI picked another certificate: OpenSSL serves it from here on.</summary>
    internal void Switch(nint ssl, OpenSslServerContext context)
    {
        if (ReferenceEquals(context, _switched ?? _context))
        {
            return;
        }
        LibSsl.SSL_set_SSL_CTX(ssl, context.Handle);
        _switched = context;
    }

    internal static X509Certificate2 LoadCertificate(nint x509)
    {
        var length = LibCrypto.i2d_X509(x509, null);
        if (length <= 0)
        {
            throw OpenSslException.FromErrorQueue("cannot encode a certificate");
        }
        var der = new byte[length];
        fixed (byte* start = der)
        {
            var at = start;
            LibCrypto.i2d_X509(x509, &at);
        }
        return X509CertificateLoader.LoadCertificate(der);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _ssl.Dispose();
        _fed?.Release();
        _records?.Release();
    }
}
