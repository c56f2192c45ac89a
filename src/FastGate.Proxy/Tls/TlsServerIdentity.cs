using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Proxy.Tls;

/// <summary>A certificate a listener serves, with the OpenSSL server context made from it.</summary>
public sealed record TlsServerIdentity(ServerCertificate Certificate, OpenSslServerContext Context);
