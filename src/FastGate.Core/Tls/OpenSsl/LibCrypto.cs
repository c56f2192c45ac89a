using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>The libcrypto (OpenSSL 3) calls the server engine makes: memory BIOs, the error queue, ticket sealing, certificates.</summary>
internal static unsafe partial class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    public const int CRYPTO_EX_INDEX_SSL = 0;
    public const int X509_V_ERR_CERT_REJECTED = 28;

    private const int BIO_CTRL_PENDING = 10;

    [LibraryImport(Library)]
    public static partial nint BIO_s_mem();

    [LibraryImport(Library)]
    public static partial nint BIO_new(nint method);

    [LibraryImport(Library)]
    public static partial int BIO_free(nint bio);

    [LibraryImport(Library)]
    public static partial int BIO_write(nint bio, byte* data, int length);

    [LibraryImport(Library)]
    public static partial int BIO_read(nint bio, byte* data, int length);

    [LibraryImport(Library)]
    private static partial long BIO_ctrl(nint bio, int cmd, long larg, nint parg);

    public static int BIO_pending(nint bio) => (int)BIO_ctrl(bio, BIO_CTRL_PENDING, 0, 0);

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
