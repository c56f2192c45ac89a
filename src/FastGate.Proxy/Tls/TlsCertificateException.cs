namespace FastGate.Proxy.Tls;

/// <summary>A certificate, key or CA file that cannot be served; the message names the file and why.</summary>
public sealed class TlsCertificateException(string message, Exception? inner = null) : Exception(message, inner);
