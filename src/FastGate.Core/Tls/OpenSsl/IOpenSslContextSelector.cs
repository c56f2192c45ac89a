namespace FastGate.Core.Tls.OpenSsl;

/// <summary>Picks the server context (the certificate) for the SNI name a client sent, or for none.</summary>
public interface IOpenSslContextSelector
{
    OpenSslServerContext Select(string? serverName);
}
