using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// The libssl (OpenSSL 3) calls the server engine makes. Several of OpenSSL's documented calls
/// are C macros over <c>SSL_CTX_ctrl</c>; they are spelled out here with their control numbers.
/// </summary>
internal static unsafe partial class LibSsl
{
    private const string Library = "libssl.so.3";

    public const int SSL_ERROR_NONE = 0;
    public const int SSL_ERROR_SSL = 1;
    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_WANT_WRITE = 3;
    public const int SSL_ERROR_SYSCALL = 5;
    public const int SSL_ERROR_ZERO_RETURN = 6;

    public const int SSL_FILETYPE_PEM = 1;
    public const int TLS1_2_VERSION = 0x0303;
    public const int TLS1_3_VERSION = 0x0304;

    public const int SSL_VERIFY_NONE = 0;
    public const int SSL_VERIFY_PEER = 1;
    public const int SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 2;

    public const int SSL_TLSEXT_ERR_OK = 0;
    public const int SSL_TLSEXT_ERR_ALERT_FATAL = 2;
    public const int SSL_TLSEXT_ERR_NOACK = 3;
    public const int SSL_AD_INTERNAL_ERROR = 80;
    public const int TLSEXT_NAMETYPE_host_name = 0;

    public const ulong SSL_OP_NO_COMPRESSION = 1UL << 17;
    public const ulong SSL_OP_CIPHER_SERVER_PREFERENCE = 1UL << 22;
    public const ulong SSL_OP_NO_RENEGOTIATION = 1UL << 30;

    public const int SSL_SESS_CACHE_SERVER = 0x0002;

    private const int SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53;
    private const int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    private const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    private const int SSL_CTRL_SET_MAX_PROTO_VERSION = 124;
    private const int SSL_CTRL_MODE = 33;
    public const long SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2;
    public const long SSL_MODE_RELEASE_BUFFERS = 0x10;

    [LibraryImport(Library)]
    public static partial nint TLS_server_method();

    [LibraryImport(Library)]
    public static partial nint SSL_CTX_new(nint method);

    [LibraryImport(Library)]
    public static partial void SSL_CTX_free(nint ctx);

    [LibraryImport(Library)]
    public static partial ulong SSL_CTX_set_options(SafeSslContextHandle ctx, ulong options);

    [LibraryImport(Library)]
    private static partial long SSL_CTX_ctrl(SafeSslContextHandle ctx, int cmd, long larg, nint parg);

    [LibraryImport(Library)]
    private static partial long SSL_CTX_callback_ctrl(SafeSslContextHandle ctx, int cmd, nint fp);

    public static bool SSL_CTX_set_min_proto_version(SafeSslContextHandle ctx, int version) =>
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, 0) == 1;

    public static bool SSL_CTX_set_max_proto_version(SafeSslContextHandle ctx, int version) =>
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, version, 0) == 1;

    public static long SSL_CTX_set_mode(SafeSslContextHandle ctx, long mode) =>
        SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, mode, 0);

    public static void SSL_CTX_set_session_cache_mode(SafeSslContextHandle ctx, int mode) =>
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, mode, 0);

    public static void SSL_CTX_set_tlsext_servername_callback(SafeSslContextHandle ctx, delegate* unmanaged<nint, int*, nint, int> callback) =>
        SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, (nint)callback);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_use_certificate_chain_file(SafeSslContextHandle ctx, string file);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_use_PrivateKey_file(SafeSslContextHandle ctx, string file, int type);

    [LibraryImport(Library)]
    public static partial int SSL_CTX_check_private_key(SafeSslContextHandle ctx);

    [LibraryImport(Library)]
    public static partial int SSL_CTX_set_session_id_context(SafeSslContextHandle ctx, byte* context, uint length);

    [LibraryImport(Library)]
    public static partial int SSL_CTX_set_num_tickets(SafeSslContextHandle ctx, nuint tickets);

    [LibraryImport(Library)]
    public static partial void SSL_CTX_set_alpn_select_cb(
        SafeSslContextHandle ctx, delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int> callback, nint arg);

    [LibraryImport(Library)]
    public static partial int SSL_CTX_set_tlsext_ticket_key_evp_cb(
        SafeSslContextHandle ctx, delegate* unmanaged<nint, byte*, byte*, nint, nint, int, int> callback);

    [LibraryImport(Library)]
    public static partial void SSL_CTX_set_verify(SafeSslContextHandle ctx, int mode, nint callback);

    [LibraryImport(Library)]
    public static partial void SSL_CTX_set_cert_verify_callback(SafeSslContextHandle ctx, delegate* unmanaged<nint, nint, int> callback, nint arg);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint SSL_load_client_CA_file(string file);

    [LibraryImport(Library)]
    public static partial void SSL_CTX_set_client_CA_list(SafeSslContextHandle ctx, nint names);

    [LibraryImport(Library)]
    public static partial nint SSL_new(SafeSslContextHandle ctx);

    [LibraryImport(Library)]
    public static partial void SSL_free(nint ssl);

    [LibraryImport(Library)]
    public static partial void SSL_set_bio(SafeSslHandle ssl, nint readBio, nint writeBio);

    [LibraryImport(Library)]
    public static partial void SSL_set_accept_state(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial int SSL_do_handshake(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial int SSL_read_ex(SafeSslHandle ssl, byte* buffer, nuint length, nuint* read);

    [LibraryImport(Library)]
    public static partial int SSL_write_ex(SafeSslHandle ssl, byte* buffer, nuint length, nuint* written);

    [LibraryImport(Library)]
    public static partial int SSL_shutdown(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial int SSL_get_error(SafeSslHandle ssl, int result);

    [LibraryImport(Library)]
    public static partial int SSL_version(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial nint SSL_get_current_cipher(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial ushort SSL_CIPHER_get_protocol_id(nint cipher);

    [LibraryImport(Library)]
    public static partial void SSL_get0_alpn_selected(SafeSslHandle ssl, byte** data, uint* length);

    [LibraryImport(Library)]
    public static partial int SSL_session_reused(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial int SSL_has_pending(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial nint SSL_get0_peer_certificate(SafeSslHandle ssl);

    [LibraryImport(Library)]
    public static partial int SSL_set_ex_data(SafeSslHandle ssl, int index, nint data);

    // Called from OpenSSL's callbacks, where only the raw pointer is at hand.
    [LibraryImport(Library)]
    public static partial nint SSL_get_ex_data(nint ssl, int index);

    [LibraryImport(Library)]
    public static partial nint SSL_get_servername(nint ssl, int type);

    [LibraryImport(Library)]
    public static partial nint SSL_set_SSL_CTX(nint ssl, SafeSslContextHandle ctx);

    [LibraryImport(Library)]
    public static partial int SSL_get_ex_data_X509_STORE_CTX_idx();
}
