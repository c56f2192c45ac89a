using System.Runtime.InteropServices;
using System.Text;
using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Core.Tests.Tls;

/// <summary>
/// A TLS client made of OpenSSL over memory BIOs, talking to an <see cref="OpenSslServerSession"/>
/// in the same process with no socket: the tests move the bytes between the two by hand.
/// </summary>
internal sealed unsafe partial class OpenSslTestClient : IDisposable
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    private readonly nint _ctx;
    private readonly nint _ssl;
    private readonly nint _input;
    private readonly nint _output;

    public OpenSslTestClient(string? serverName = null, string[]? alpn = null, bool tls12 = false)
    {
        _ctx = SSL_CTX_new(TLS_client_method());
        if (tls12)
        {
            SSL_CTX_ctrl(_ctx, 124, 0x0303, 0);
        }
        _ssl = SSL_new(_ctx);
        _input = BIO_new(BIO_s_mem());
        _output = BIO_new(BIO_s_mem());
        SSL_set_bio(_ssl, _input, _output);
        SSL_set_connect_state(_ssl);
        if (serverName is not null)
        {
            var name = Marshal.StringToCoTaskMemUTF8(serverName);
            SSL_ctrl(_ssl, 55, 0, name); // SSL_set_tlsext_host_name
            Marshal.FreeCoTaskMem(name);
        }
        if (alpn is not null)
        {
            var wire = alpn.SelectMany(p => new[] { (byte)p.Length }.Concat(Encoding.ASCII.GetBytes(p))).ToArray();
            fixed (byte* protocols = wire)
            {
                SSL_set_alpn_protos(_ssl, protocols, (uint)wire.Length);
            }
        }
    }

    /// <summary>Runs the handshake to its end, moving bytes both ways; false when either side gave up.</summary>
    public bool Handshake(OpenSslServerSession server)
    {
        var buffer = new byte[64 * 1024];
        for (var round = 0; round < 20; round++)
        {
            var clientDone = SSL_do_handshake(_ssl) == 1;
            Move(buffer, server);
            bool serverDone;
            try
            {
                serverDone = server.Handshake();
            }
            catch (OpenSslException)
            {
                return false;
            }
            var taken = server.TakeOutput(buffer);
            fixed (byte* data = buffer)
            {
                BIO_write(_input, data, taken);
            }
            if (clientDone && serverDone)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The client's records so far, into the server.</summary>
    public void Move(byte[] buffer, OpenSslServerSession server)
    {
        int read;
        fixed (byte* data = buffer)
        {
            while ((read = BIO_read(_output, data, buffer.Length)) > 0)
            {
                server.Feed(buffer.AsSpan(0, read));
            }
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into records for the server.</summary>
    public void Write(ReadOnlySpan<byte> plaintext)
    {
        fixed (byte* data = plaintext)
        {
            nuint written;
            SSL_write_ex(_ssl, data, (nuint)plaintext.Length, &written);
        }
    }

    /// <summary>Hands the server's records to the client and decrypts them into <paramref name="destination"/>.</summary>
    public int Read(ReadOnlySpan<byte> records, Span<byte> destination)
    {
        fixed (byte* data = records)
        {
            BIO_write(_input, data, records.Length);
        }
        fixed (byte* data = destination)
        {
            nuint read;
            return SSL_read_ex(_ssl, data, (nuint)destination.Length, &read) == 1 ? (int)read : 0;
        }
    }

    /// <summary>One step of the handshake on the client's side: true once it is finished.</summary>
    public bool HandshakeStep() => SSL_do_handshake(_ssl) == 1;

    /// <summary>The records the client made so far, as bytes for the wire.</summary>
    public byte[] TakeRecords()
    {
        var records = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        fixed (byte* data = buffer)
        {
            while ((read = BIO_read(_output, data, buffer.Length)) > 0)
            {
                records.Write(buffer, 0, read);
            }
        }
        return records.ToArray();
    }

    /// <summary>The records the client made so far into <paramref name="destination"/>: the count.</summary>
    public int TakeRecords(Span<byte> destination)
    {
        fixed (byte* data = destination)
        {
            return Math.Max(0, BIO_read(_output, data, destination.Length));
        }
    }

    /// <summary>Bytes from the wire for the client, not yet decrypted.</summary>
    public void Receive(ReadOnlySpan<byte> records)
    {
        fixed (byte* data = records)
        {
            BIO_write(_input, data, records.Length);
        }
    }

    /// <summary>Decrypts what was received into <paramref name="destination"/>: the count, 0 with none ready, -1 at the server's close_notify.</summary>
    public int ReadPlaintext(Span<byte> destination)
    {
        fixed (byte* data = destination)
        {
            nuint read;
            var result = SSL_read_ex(_ssl, data, (nuint)destination.Length, &read);
            if (result == 1)
            {
                return (int)read;
            }
            return SSL_get_error(_ssl, result) == 6 ? -1 : 0; // SSL_ERROR_ZERO_RETURN
        }
    }

    /// <summary>Queues the client's close_notify (taken with <see cref="TakeRecords"/>).</summary>
    public void Shutdown() => SSL_shutdown(_ssl);

    public string? NegotiatedProtocol
    {
        get
        {
            byte* data;
            uint length;
            SSL_get0_alpn_selected(_ssl, &data, &length);
            return length == 0 ? null : Encoding.ASCII.GetString(data, (int)length);
        }
    }

    public void Dispose()
    {
        SSL_free(_ssl);
        SSL_CTX_free(_ctx);
    }

    [LibraryImport(Ssl)] private static partial nint TLS_client_method();
    [LibraryImport(Ssl)] private static partial nint SSL_CTX_new(nint method);
    [LibraryImport(Ssl)] private static partial void SSL_CTX_free(nint ctx);
    [LibraryImport(Ssl)] private static partial long SSL_CTX_ctrl(nint ctx, int cmd, long larg, nint parg);
    [LibraryImport(Ssl)] private static partial nint SSL_new(nint ctx);
    [LibraryImport(Ssl)] private static partial void SSL_free(nint ssl);
    [LibraryImport(Ssl)] private static partial long SSL_ctrl(nint ssl, int cmd, long larg, nint parg);
    [LibraryImport(Ssl)] private static partial int SSL_set_alpn_protos(nint ssl, byte* protocols, uint length);
    [LibraryImport(Ssl)] private static partial void SSL_get0_alpn_selected(nint ssl, byte** data, uint* length);
    [LibraryImport(Ssl)] private static partial void SSL_set_bio(nint ssl, nint readBio, nint writeBio);
    [LibraryImport(Ssl)] private static partial void SSL_set_connect_state(nint ssl);
    [LibraryImport(Ssl)] private static partial int SSL_do_handshake(nint ssl);
    [LibraryImport(Ssl)] private static partial int SSL_read_ex(nint ssl, byte* buffer, nuint length, nuint* read);
    [LibraryImport(Ssl)] private static partial int SSL_get_error(nint ssl, int result);
    [LibraryImport(Ssl)] private static partial int SSL_shutdown(nint ssl);
    [LibraryImport(Ssl)] private static partial int SSL_write_ex(nint ssl, byte* buffer, nuint length, nuint* written);
    [LibraryImport(Crypto)] private static partial nint BIO_s_mem();
    [LibraryImport(Crypto)] private static partial nint BIO_new(nint method);
    [LibraryImport(Crypto)] private static partial int BIO_write(nint bio, byte* data, int length);
    [LibraryImport(Crypto)] private static partial int BIO_read(nint bio, byte* data, int length);
}
