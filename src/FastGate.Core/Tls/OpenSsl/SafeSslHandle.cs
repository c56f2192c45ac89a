using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>An <c>SSL</c>, one connection's TLS state; freeing it frees the record BIO it owns.</summary>
internal sealed class SafeSslHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    public static SafeSslHandle Create(SafeSslContextHandle ctx)
    {
        var ssl = new SafeSslHandle();
        ssl.SetHandle(LibSsl.SSL_new(ctx));
        if (ssl.IsInvalid)
        {
            throw OpenSslException.FromErrorQueue("SSL_new failed");
        }
        return ssl;
    }

    protected override bool ReleaseHandle()
    {
        LibSsl.SSL_free(handle);
        return true;
    }
}
