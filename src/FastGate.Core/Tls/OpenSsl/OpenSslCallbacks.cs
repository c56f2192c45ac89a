using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// The functions OpenSSL calls during a handshake, as plain function pointers (NativeAOT has no
/// marshalled delegates). Each finds its connection's <see cref="OpenSslServerSession"/> through
/// the SSL's ex data, and never lets an exception cross back into OpenSSL.
/// </summary>
internal static unsafe class OpenSslCallbacks
{
    // OSSL_PARAM names and the digest name, NUL-terminated, for the ticket HMAC.
    private static readonly byte* MacKeyParam = Ascii("key");
    private static readonly byte* MacDigestParam = Ascii("digest");
    private static readonly byte* Sha256 = Ascii("SHA256");
    private static readonly nint Aes256Cbc = LibCrypto.EVP_aes_256_cbc();

    /// <summary>SNI: switches the connection to the certificate's context its selector picks.</summary>
    [UnmanagedCallersOnly]
    public static int ServerName(nint ssl, int* alert, nint arg)
    {
        try
        {
            var session = OpenSslServerSession.FromSsl(ssl);
            if (session?.Selector is not { } selector)
            {
                return LibSsl.SSL_TLSEXT_ERR_OK;
            }
            var name = Marshal.PtrToStringUTF8(LibSsl.SSL_get_servername(ssl, LibSsl.TLSEXT_NAMETYPE_host_name));
            var chosen = selector.Select(name);
            session.Switch(ssl, chosen);
            return LibSsl.SSL_TLSEXT_ERR_OK;
        }
        catch (Exception)
        {
            *alert = LibSsl.SSL_AD_INTERNAL_ERROR;
            return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }

    /// <summary>
    /// ALPN: the first of the server's protocols (in its order) that the client offers. A client
    /// that offers some but none of these is refused (no_application_protocol alert); one that
    /// offers none never gets here and speaks HTTP/1.1.
    /// </summary>
    [UnmanagedCallersOnly]
    public static int SelectApplicationProtocol(nint ssl, byte** selected, byte* selectedLength, byte* offered, uint offeredLength, nint arg)
    {
        // The context's list: one length byte, then the length-prefixed names.
        var oursLength = *(byte*)arg;
        var ours = (byte*)arg + 1;
        var clientList = new ReadOnlySpan<byte>(offered, (int)offeredLength);
        for (var at = 0; at < oursLength;)
        {
            var length = ours[at];
            var protocol = new ReadOnlySpan<byte>(ours + at + 1, length);
            for (var theirs = 0; theirs < clientList.Length;)
            {
                var theirLength = clientList[theirs];
                if (theirs + 1 + theirLength > clientList.Length)
                {
                    break;
                }
                if (clientList.Slice(theirs + 1, theirLength).SequenceEqual(protocol))
                {
                    *selected = offered + theirs + 1;
                    *selectedLength = theirLength;
                    return LibSsl.SSL_TLSEXT_ERR_OK;
                }
                theirs += 1 + theirLength;
            }
            at += 1 + length;
        }
        return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
    }

    /// <summary>
    /// Session tickets: seals a new ticket with the ring's newest key (<paramref name="encrypt"/>
    /// 1), or finds the key a client's ticket names (0). Returns 1 to use the key, 2 to use it and
    /// issue a fresh ticket (it was the previous key), 0 for an unknown or retired key (a full
    /// handshake), -1 on failure.
    /// </summary>
    [UnmanagedCallersOnly]
    public static int TicketKey(nint ssl, byte* keyName, byte* iv, nint cipherCtx, nint macCtx, int encrypt)
    {
        try
        {
            var ring = OpenSslServerSession.FromSsl(ssl)?.TicketKeys;
            if (ring is null)
            {
                return encrypt == 1 ? -1 : 0;
            }
            TlsTicketKey? key;
            var newest = true;
            if (encrypt == 1)
            {
                key = ring.Sealing();
                key.Name.CopyTo(new Span<byte>(keyName, TlsTicketKey.NameLength));
                RandomNumberGenerator.Fill(new Span<byte>(iv, 16));
            }
            else
            {
                key = ring.Opening(new ReadOnlySpan<byte>(keyName, TlsTicketKey.NameLength), out newest);
                if (key is null)
                {
                    return 0;
                }
            }
            fixed (byte* aes = key.AesKey)
            fixed (byte* hmac = key.HmacKey)
            {
                var ok = encrypt == 1
                    ? LibCrypto.EVP_EncryptInit_ex(cipherCtx, Aes256Cbc, 0, aes, iv)
                    : LibCrypto.EVP_DecryptInit_ex(cipherCtx, Aes256Cbc, 0, aes, iv);
                if (ok != 1)
                {
                    return -1;
                }
                var parameters = stackalloc OsslParam[3];
                parameters[0] = OsslParam.Of(MacKeyParam, OsslParam.OctetString, hmac, TlsTicketKey.HmacKeyLength);
                parameters[1] = OsslParam.Of(MacDigestParam, OsslParam.Utf8String, Sha256, 6);
                parameters[2] = default;
                if (LibCrypto.EVP_MAC_CTX_set_params(macCtx, parameters) != 1)
                {
                    return -1;
                }
            }
            return newest ? 1 : 2;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    /// <summary>A client certificate: the session's verifier decides; the certificate it accepted is kept for the connection.</summary>
    [UnmanagedCallersOnly]
    public static int VerifyClientCertificate(nint storeCtx, nint arg)
    {
        try
        {
            var ssl = LibCrypto.X509_STORE_CTX_get_ex_data(storeCtx, LibSsl.SSL_get_ex_data_X509_STORE_CTX_idx());
            var session = OpenSslServerSession.FromSsl(ssl);
            var leafHandle = LibCrypto.X509_STORE_CTX_get0_cert(storeCtx);
            if (session?.Verifier is not { } verifier || leafHandle == 0)
            {
                LibCrypto.X509_STORE_CTX_set_error(storeCtx, LibCrypto.X509_V_ERR_CERT_REJECTED);
                return 0;
            }
            var leaf = OpenSslServerSession.LoadCertificate(leafHandle);
            var presented = new X509Certificate2Collection();
            var untrusted = LibCrypto.X509_STORE_CTX_get0_untrusted(storeCtx);
            var count = untrusted == 0 ? 0 : LibCrypto.OPENSSL_sk_num(untrusted);
            for (var i = 0; i < count; i++)
            {
                var certificate = OpenSslServerSession.LoadCertificate(LibCrypto.OPENSSL_sk_value(untrusted, i));
                if (!certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    presented.Add(certificate);
                }
            }
            if (!verifier.Verify(leaf, presented))
            {
                LibCrypto.X509_STORE_CTX_set_error(storeCtx, LibCrypto.X509_V_ERR_CERT_REJECTED);
                return 0;
            }
            session.PeerCertificate = leaf;
            return 1;
        }
        catch (Exception)
        {
            LibCrypto.X509_STORE_CTX_set_error(storeCtx, LibCrypto.X509_V_ERR_CERT_REJECTED);
            return 0;
        }
    }

    private static byte* Ascii(string text)
    {
        var native = (byte*)NativeMemory.Alloc((nuint)text.Length + 1);
        for (var i = 0; i < text.Length; i++)
        {
            native[i] = (byte)text[i];
        }
        native[text.Length] = 0;
        return native;
    }
}
