using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>An <c>SSL_CTX</c>. OpenSSL counts references: sessions made from it keep it alive past this handle.</summary>
internal sealed class SafeSslContextHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    public static SafeSslContextHandle Create()
    {
        var ctx = new SafeSslContextHandle();
        ctx.SetHandle(LibSsl.SSL_CTX_new(LibSsl.TLS_server_method()));
        if (ctx.IsInvalid)
        {
            throw OpenSslException.FromErrorQueue("SSL_CTX_new failed");
        }
        return ctx;
    }

    protected override bool ReleaseHandle()
    {
        LibSsl.SSL_CTX_free(handle);
        return true;
    }
}
