using System.Text;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// An OpenSSL server context (<c>SSL_CTX</c>) for one certificate and a listener's settings: the
/// versions, ALPN in the server's order, session resumption (a session-id cache, and tickets
/// sealed by the session's <see cref="TlsTicketKeyRing"/>), the SNI switch, and client
/// certificates when asked for. Built once per certificate and shared by every handshake.
/// </summary>
public sealed unsafe class OpenSslServerContext : IDisposable
{
    // Sessions are resumed only by the contexts that made them; one constant is enough, as every
    // context of a listener serves the same settings.
    private static readonly byte[] SessionIdContext = "FastGate"u8.ToArray();

    // The ALPN list in wire form (length-prefixed names) after a byte with its length, on the
    // pinned heap: OpenSSL's select callback is handed its address.
    private readonly byte[] _alpn;

    private OpenSslServerContext(SafeSslContextHandle handle, byte[] alpn)
    {
        Handle = handle;
        _alpn = alpn;
    }

    internal SafeSslContextHandle Handle { get; }

    /// <summary>Reads the certificate chain and key and sets the context up; an <see cref="OpenSslException"/> says what OpenSSL refused.</summary>
    public static OpenSslServerContext Create(OpenSslServerOptions options)
    {
        var alpn = WireFormat(options.ApplicationProtocols);
        var handle = SafeSslContextHandle.Create();
        var context = new OpenSslServerContext(handle, alpn);
        try
        {
            context.Configure(options);
        }
        catch
        {
            context.Dispose();
            throw;
        }
        return context;
    }

    private void Configure(OpenSslServerOptions options)
    {
        LibCrypto.ERR_clear_error();
        // Renegotiation is a denial-of-service lever and HTTP/2 forbids it; compression leaks secrets (CRIME).
        LibSsl.SSL_CTX_set_options(Handle,
            LibSsl.SSL_OP_NO_RENEGOTIATION | LibSsl.SSL_OP_NO_COMPRESSION | LibSsl.SSL_OP_CIPHER_SERVER_PREFERENCE);
        if (!LibSsl.SSL_CTX_set_min_proto_version(Handle, options.Tls13Only ? LibSsl.TLS1_3_VERSION : LibSsl.TLS1_2_VERSION)
            || !LibSsl.SSL_CTX_set_max_proto_version(Handle, LibSsl.TLS1_3_VERSION))
        {
            throw OpenSslException.FromErrorQueue("cannot set the TLS versions");
        }
        if (LibSsl.SSL_CTX_use_certificate_chain_file(Handle, options.CertificateChainPath) != 1)
        {
            throw OpenSslException.FromErrorQueue($"cannot use the certificate chain {options.CertificateChainPath}");
        }
        if (LibSsl.SSL_CTX_use_PrivateKey_file(Handle, options.PrivateKeyPath, LibSsl.SSL_FILETYPE_PEM) != 1)
        {
            throw OpenSslException.FromErrorQueue($"cannot use the key {options.PrivateKeyPath}");
        }
        if (LibSsl.SSL_CTX_check_private_key(Handle) != 1)
        {
            throw OpenSslException.FromErrorQueue($"the key {options.PrivateKeyPath} does not belong to the certificate {options.CertificateChainPath}");
        }

        // OpenSSL frees a connection's record buffers (some 34 KiB) whenever it holds no partial
        // record either way: an idle keep-alive connection then costs its session, not its buffers.
        // A write the output had no room for is made again from wherever the caller's bytes are
        // then (a managed buffer may have moved): OpenSSL holds the records it already made.
        LibSsl.SSL_CTX_set_mode(Handle, LibSsl.SSL_MODE_RELEASE_BUFFERS | LibSsl.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        LibSsl.SSL_CTX_set_session_cache_mode(Handle, LibSsl.SSL_SESS_CACHE_SERVER);
        fixed (byte* id = SessionIdContext)
        {
            LibSsl.SSL_CTX_set_session_id_context(Handle, id, (uint)SessionIdContext.Length);
        }
        // One ticket per full handshake: a client resumes with the newest one it holds, and the
        // stateless tickets may be used again.
        LibSsl.SSL_CTX_set_num_tickets(Handle, 1);
        if (LibSsl.SSL_CTX_set_tlsext_ticket_key_evp_cb(Handle, &OpenSslCallbacks.TicketKey) != 1)
        {
            throw OpenSslException.FromErrorQueue("cannot set the session ticket callback");
        }
        LibSsl.SSL_CTX_set_tlsext_servername_callback(Handle, &OpenSslCallbacks.ServerName);
        fixed (byte* alpn = _alpn)
        {
            // _alpn is pinned for its lifetime: the address stays valid after this block.
            LibSsl.SSL_CTX_set_alpn_select_cb(Handle, &OpenSslCallbacks.SelectApplicationProtocol, (nint)alpn);
        }

        if (options.ClientCertificates != OpenSslClientCertificateMode.None)
        {
            if (options.ClientCaPath is null)
            {
                throw new ArgumentException("client certificates need a CA bundle", nameof(options));
            }
            // The CA names go out in the certificate request, so a client with several
            // certificates can pick the one this listener accepts.
            var names = LibSsl.SSL_load_client_CA_file(options.ClientCaPath);
            if (names == 0)
            {
                throw OpenSslException.FromErrorQueue($"cannot read the CA names of {options.ClientCaPath}");
            }
            LibSsl.SSL_CTX_set_client_CA_list(Handle, names);
            var mode = LibSsl.SSL_VERIFY_PEER;
            if (options.ClientCertificates == OpenSslClientCertificateMode.Required)
            {
                mode |= LibSsl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
            }
            LibSsl.SSL_CTX_set_verify(Handle, mode, 0);
            // The session's verifier decides, not OpenSSL's chain check.
            LibSsl.SSL_CTX_set_cert_verify_callback(Handle, &OpenSslCallbacks.VerifyClientCertificate, 0);
        }
    }

    private static byte[] WireFormat(IReadOnlyList<string> protocols)
    {
        var length = 0;
        foreach (var protocol in protocols)
        {
            var bytes = Encoding.ASCII.GetByteCount(protocol);
            if (bytes is 0 or > 255)
            {
                throw new ArgumentException($"ALPN name \"{protocol}\" must be 1 to 255 bytes", nameof(protocols));
            }
            length += 1 + bytes;
        }
        if (length > 255)
        {
            throw new ArgumentException("the ALPN list must be at most 255 bytes", nameof(protocols));
        }
        var wire = GC.AllocateArray<byte>(1 + length, pinned: true);
        wire[0] = (byte)length;
        var at = 1;
        foreach (var protocol in protocols)
        {
            var written = Encoding.ASCII.GetBytes(protocol, wire.AsSpan(at + 1));
            wire[at] = (byte)written;
            at += 1 + written;
        }
        return wire;
    }

    /// <summary>Lets go of this handle; handshakes under way keep OpenSSL's context alive until they end.</summary>
    public void Dispose() => Handle.Dispose();
}
