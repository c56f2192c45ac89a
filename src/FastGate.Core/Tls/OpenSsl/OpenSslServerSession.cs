using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// The server side of one TLS connection, driven by hand over two OpenSSL memory BIOs: bytes from
/// the peer are fed in, records for the peer are taken out, and the caller moves them over the
/// socket. It does no I/O and takes no lock: one caller at a time (see <see cref="OpenSslStream"/>).
/// Reading and writing records allocates nothing; the session is found again from OpenSSL's
/// callbacks through the SSL's ex data, which holds a handle to it.
/// </summary>
public sealed unsafe class OpenSslServerSession : IDisposable
{
    private static readonly int ExDataIndex = LibCrypto.CRYPTO_get_ex_new_index(LibCrypto.CRYPTO_EX_INDEX_SSL, 0, 0, 0, 0, 0);

    private readonly SafeSslHandle _ssl;
    // Owned by the SSL (freed with it): _input holds the peer's bytes, _output the records for it.
    private readonly nint _input;
    private readonly nint _output;
    private GCHandle _self;
    // The contexts OpenSSL may still call into: the first one and the one SNI switched to.
    private readonly OpenSslServerContext _context;
    private OpenSslServerContext? _switched;
    private bool _disposed;

    public OpenSslServerSession(OpenSslServerContext context, IOpenSslContextSelector? selector, TlsTicketKeyRing ticketKeys, IOpenSslPeerVerifier? verifier)
    {
        _context = context;
        Selector = selector;
        TicketKeys = ticketKeys;
        Verifier = verifier;
        _ssl = SafeSslHandle.Create(context.Handle);
        var method = LibCrypto.BIO_s_mem();
        _input = LibCrypto.BIO_new(method);
        _output = LibCrypto.BIO_new(method);
        if (_input == 0 || _output == 0)
        {
            LibCrypto.BIO_free(_input);
            LibCrypto.BIO_free(_output);
            _ssl.Dispose();
            throw OpenSslException.FromErrorQueue("BIO_new failed");
        }
        LibSsl.SSL_set_bio(_ssl, _input, _output);
        LibSsl.SSL_set_accept_state(_ssl);
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
        LibSsl.SSL_set_ex_data(_ssl, ExDataIndex, GCHandle.ToIntPtr(_self));
    }

    internal IOpenSslContextSelector? Selector { get; }

    internal TlsTicketKeyRing TicketKeys { get; }

    internal IOpenSslPeerVerifier? Verifier { get; }

    /// <summary>The client certificate the verifier accepted in this handshake.</summary>
    internal X509Certificate2? PeerCertificate { get; set; }

    /// <summary>Bytes of records waiting to be sent to the peer.</summary>
    public int PendingOutput => LibCrypto.BIO_pending(_output);

    /// <summary>Bytes fed from the peer that no handshake step or read has taken yet (a request sent with the client's Finished).</summary>
    public int PendingInput => LibCrypto.BIO_pending(_input);

    public bool IsHandshakeComplete { get; private set; }

    /// <summary>Runs the handshake as far as the bytes fed so far allow: true once it is finished.</summary>
    public bool Handshake()
    {
        LibCrypto.ERR_clear_error();
        var result = LibSsl.SSL_do_handshake(_ssl);
        if (result == 1)
        {
            IsHandshakeComplete = true;
            return true;
        }
        var error = LibSsl.SSL_get_error(_ssl, result);
        if (error == LibSsl.SSL_ERROR_WANT_READ)
        {
            return false;
        }
        throw OpenSslException.FromErrorQueue(error == LibSsl.SSL_ERROR_SSL ? "handshake refused" : $"handshake failed (SSL error {error})");
    }

    /// <summary>Hands bytes that came from the peer to the session.</summary>
    public void Feed(ReadOnlySpan<byte> received)
    {
        fixed (byte* data = received)
        {
            if (received.Length > 0 && LibCrypto.BIO_write(_input, data, received.Length) != received.Length)
            {
                throw OpenSslException.FromErrorQueue("cannot buffer the received bytes");
            }
        }
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length of records for the peer into it.</summary>
    public int TakeOutput(Span<byte> destination)
    {
        fixed (byte* data = destination)
        {
            var taken = LibCrypto.BIO_read(_output, data, destination.Length);
            return Math.Max(taken, 0);
        }
    }

    /// <summary>Decrypts into <paramref name="destination"/> what the fed records hold.</summary>
    public OpenSslIoStatus Read(Span<byte> destination, out int read)
    {
        LibCrypto.ERR_clear_error();
        nuint count;
        int result;
        fixed (byte* data = destination)
        {
            result = LibSsl.SSL_read_ex(_ssl, data, (nuint)destination.Length, &count);
        }
        if (result == 1)
        {
            read = (int)count;
            return OpenSslIoStatus.Data;
        }
        read = 0;
        var error = LibSsl.SSL_get_error(_ssl, result);
        return error switch
        {
            LibSsl.SSL_ERROR_WANT_READ => OpenSslIoStatus.WantRead,
            LibSsl.SSL_ERROR_ZERO_RETURN => OpenSslIoStatus.Closed,
            _ => throw OpenSslException.FromErrorQueue($"TLS read failed (SSL error {error})"),
        };
    }

    /// <summary>Encrypts <paramref name="source"/> into records, taken with <see cref="TakeOutput"/>.</summary>
    public void Write(ReadOnlySpan<byte> source)
    {
        LibCrypto.ERR_clear_error();
        nuint written;
        fixed (byte* data = source)
        {
            if (LibSsl.SSL_write_ex(_ssl, data, (nuint)source.Length, &written) != 1)
            {
                var error = LibSsl.SSL_get_error(_ssl, 0);
                throw OpenSslException.FromErrorQueue($"TLS write failed (SSL error {error})");
            }
        }
    }

    /// <summary>Queues close_notify for the peer.</summary>
    public void Shutdown()
    {
        if (!IsHandshakeComplete)
        {
            return;
        }
        LibCrypto.ERR_clear_error();
        LibSsl.SSL_shutdown(_ssl);
        LibCrypto.ERR_clear_error();
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
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}
