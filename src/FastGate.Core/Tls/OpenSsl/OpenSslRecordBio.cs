using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// The BIO a session's SSL reads the peer's records from and writes its own records to: no buffer
/// of its own. OpenSSL's reads take the bytes the caller handed to the call at hand (the socket's
/// receive block), its writes go into the caller's output (the socket's send pipe), each through
/// the session the BIO's data points at. With nothing left to read, or no room to write, it asks
/// OpenSSL to retry: the call returns WANT_READ or WANT_WRITE, as over a non-blocking socket.
/// An idle connection holds this small object and nothing else for its records.
/// </summary>
internal static unsafe class OpenSslRecordBio
{
    // One method for every session, made once and never freed (OpenSSL's BIO_METHODs are static too).
    private static readonly nint Method = CreateMethod();

    /// <summary>A new BIO whose reads and writes go to <paramref name="session"/> (a GCHandle to it).</summary>
    public static nint Create(nint session)
    {
        var bio = LibCrypto.BIO_new(Method);
        if (bio == 0)
        {
            return 0;
        }
        LibCrypto.BIO_set_data(bio, session);
        LibCrypto.BIO_set_init(bio, 1);
        return bio;
    }

    private static nint CreateMethod()
    {
        var method = LibCrypto.BIO_meth_new(LibCrypto.BIO_get_new_index() | LibCrypto.BIO_TYPE_SOURCE_SINK, "fastgate records");
        if (method == 0
            || LibCrypto.BIO_meth_set_read(method, &Read) != 1
            || LibCrypto.BIO_meth_set_write(method, &Write) != 1
            || LibCrypto.BIO_meth_set_ctrl(method, &Control) != 1)
        {
            throw OpenSslException.FromErrorQueue("cannot make the record BIO method");
        }
        return method;
    }

    private static OpenSslServerSession? Session(nint bio)
    {
        var handle = LibCrypto.BIO_get_data(bio);
        return handle == 0 ? null : GCHandle.FromIntPtr(handle).Target as OpenSslServerSession;
    }

    [UnmanagedCallersOnly]
    private static int Read(nint bio, byte* data, int length)
    {
        LibCrypto.BIO_clear_flags(bio, LibCrypto.BIO_FLAGS_RETRY_ALL);
        var read = Session(bio)?.ReadRecords(new Span<byte>(data, length)) ?? -1;
        if (read == 0 && length > 0)
        {
            // Nothing left of what the caller handed in: OpenSSL keeps what it has of the record.
            LibCrypto.BIO_set_flags(bio, LibCrypto.BIO_FLAGS_READ | LibCrypto.BIO_FLAGS_SHOULD_RETRY);
            return -1;
        }
        return read;
    }

    [UnmanagedCallersOnly]
    private static int Write(nint bio, byte* data, int length)
    {
        LibCrypto.BIO_clear_flags(bio, LibCrypto.BIO_FLAGS_RETRY_ALL);
        var written = Session(bio)?.WriteRecords(new ReadOnlySpan<byte>(data, length)) ?? -1;
        if (written == 0 && length > 0)
        {
            // No room in the output: OpenSSL holds the rest of the record until the call is made again.
            LibCrypto.BIO_set_flags(bio, LibCrypto.BIO_FLAGS_WRITE | LibCrypto.BIO_FLAGS_SHOULD_RETRY);
            return -1;
        }
        return written;
    }

    [UnmanagedCallersOnly]
    private static long Control(nint bio, int command, long number, nint pointer) =>
        // Records are in the caller's output as soon as they are written: a flush has nothing to do.
        // Every other control (pending counts, kTLS, push and pop) is one this BIO does not have.
        command == LibCrypto.BIO_CTRL_FLUSH ? 1 : 0;
}
