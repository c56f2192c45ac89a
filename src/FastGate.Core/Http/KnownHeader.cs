namespace FastGate.Core.Http;

/// <summary>Header names the proxy acts on, recognised from bytes (case-insensitively) without a string.</summary>
public enum KnownHeader : byte
{
    Other,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    KeepAlive,
    ProxyConnection,
    Te,
    Trailer,
    Upgrade,
    Expect,
    XForwardedFor,
    XForwardedProto,
    XForwardedHost,
    Via,
    ProxyAuthorization,
    ProxyAuthenticate,
}
