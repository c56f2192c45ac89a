namespace FastGate.Core.Tls.OpenSsl;

/// <summary>Whether a server context asks clients for a certificate, and whether one is needed.</summary>
public enum OpenSslClientCertificateMode : byte
{
    None,
    Optional,
    Required,
}
