namespace FastGate.Proxy.Upstreams;

/// <summary>
/// A TLS handshake with an upstream that failed; an <see cref="IOException"/>, so it is a connect
/// failure to whatever handles those (502, retry on connect-failure, passive ejection).
/// </summary>
public sealed class UpstreamTlsException(string message, Exception? inner) : IOException(message, inner);
