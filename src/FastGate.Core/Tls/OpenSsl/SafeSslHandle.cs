using System.Runtime.InteropServices;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>An <c>SSL</c>, one connection's TLS state; freeing it frees the record BIO it owns.</summary>
internal sealed class SafeSslHandle() : SafeHandle(0, ownsHandle: true)
{
    // The session the SSL's callbacks reach (the record BIO, SNI, ALPN, peer verification).
    private GCHandle _owner;

    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// Frees <paramref name="owner"/> when the SSL itself is freed, not before: a call that holds
    /// the handle (SafeHandle counts it) may still enter a callback that looks the session up.
    /// </summary>
    public void FreeWithSsl(GCHandle owner) => _owner = owner;

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
        if (_owner.IsAllocated)
        {
            _owner.Free();
        }
        return true;
    }
}
