using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>The libcrypto (OpenSSL 3) calls the server engine makes: the record BIO, the error queue, ticket sealing, certificates.</summary>
internal static unsafe partial class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    public const int CRYPTO_EX_INDEX_SSL = 0;
    public const int X509_V_ERR_CERT_REJECTED = 28;

    public const int BIO_TYPE_SOURCE_SINK = 0x0400;
    public const int BIO_CTRL_FLUSH = 11;
    public const int BIO_FLAGS_READ = 0x01;
    public const int BIO_FLAGS_WRITE = 0x02;
    public const int BIO_FLAGS_SHOULD_RETRY = 0x08;
    // BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY: what BIO_clear_retry_flags clears.
    public const int BIO_FLAGS_RETRY_ALL = 0x0f;

    [LibraryImport(Library)]
    public static partial int BIO_get_new_index();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint BIO_meth_new(int type, string name);

    [LibraryImport(Library)]
    public static partial int BIO_meth_set_write(nint method, delegate* unmanaged<nint, byte*, int, int> write);

    [LibraryImport(Library)]
    public static partial int BIO_meth_set_read(nint method, delegate* unmanaged<nint, byte*, int, int> read);

    [LibraryImport(Library)]
    public static partial int BIO_meth_set_ctrl(nint method, delegate* unmanaged<nint, int, long, nint, long> ctrl);

    [LibraryImport(Library)]
    public static partial nint BIO_new(nint method);

    [LibraryImport(Library)]
    public static partial int BIO_free(nint bio);

    [LibraryImport(Library)]
    public static partial void BIO_set_init(nint bio, int init);

    [LibraryImport(Library)]
    public static partial void BIO_set_data(nint bio, nint data);

    [LibraryImport(Library)]
    public static partial nint BIO_get_data(nint bio);

    [LibraryImport(Library)]
    public static partial void BIO_set_flags(nint bio, int flags);

    [LibraryImport(Library)]
    public static partial void BIO_clear_flags(nint bio, int flags);

    [LibraryImport(Library)]
    public static partial ulong ERR_get_error();

    [LibraryImport(Library)]
    public static partial void ERR_clear_error();

    [LibraryImport(Library)]
    public static partial void ERR_error_string_n(ulong error, byte* buffer, nuint length);

    [LibraryImport(Library)]
    public static partial int CRYPTO_get_ex_new_index(int classIndex, long argl, nint argp, nint newFunc, nint dupFunc, nint freeFunc);

    [LibraryImport(Library)]
    public static partial nint EVP_aes_256_cbc();

    [LibraryImport(Library)]
    public static partial int EVP_EncryptInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv);

    [LibraryImport(Library)]
    public static partial int EVP_DecryptInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv);

    [LibraryImport(Library)]
    public static partial int EVP_MAC_CTX_set_params(nint ctx, OsslParam* parameters);

    [LibraryImport(Library)]
    public static partial int i2d_X509(nint certificate, byte** output);

    [LibraryImport(Library)]
    public static partial nint X509_STORE_CTX_get_ex_data(nint storeCtx, int index);

    [LibraryImport(Library)]
    public static partial nint X509_STORE_CTX_get0_cert(nint storeCtx);

    [LibraryImport(Library)]
    public static partial nint X509_STORE_CTX_get0_untrusted(nint storeCtx);

    [LibraryImport(Library)]
    public static partial void X509_STORE_CTX_set_error(nint storeCtx, int error);

    [LibraryImport(Library)]
    public static partial int OPENSSL_sk_num(nint stack);

    [LibraryImport(Library)]
    public static partial nint OPENSSL_sk_value(nint stack, int index);
}
